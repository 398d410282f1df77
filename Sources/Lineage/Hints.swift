import LineageGraph
import LineageRemote
import LineageSigning
import LineageStore

/// The command to run next, for errors of the layers below, which say what went wrong but not
/// which `lineage` verb helps: only the verbs' layer knows them (issue 16). Nil: the error's own
/// message says all there is to do.
public func hint(for error: Error) -> String? {
    switch error {
    case let e as StoreError:
        switch e {
        case .corruptObject, .missingObject, .corruptPack, .contentMismatch: return "run `lineage verify` to see all damage"
        case .corruptPackIndex: return "`lineage gc` rewrites it"
        case .notAStore: return "run `lineage init` first"
        case .fileChanged, .io, .lockBusy, .newerFormat: return nil
        }
    case let e as SigningError:
        switch e {
        case .keyFileMissing, .corruptPrivateKey, .signingFailed: return "or make a new key with `lineage key generate`"
        case .weakKey: return "make a new key with `lineage key generate` (Ed25519) or `ssh-keygen -t rsa -b 3072`"
        case .unsupportedKeyType(let found, let path):
            if path != nil && !found.hasPrefix("DSA") && found != "ssh-dss" { return "to let ssh-keygen sign: `lineage config signing.program ssh-keygen`" }
            return "make a key with `lineage key generate` or `ssh-keygen -t ed25519`"
        case .unsupportedEncryption: return "to let ssh-keygen sign: `lineage config signing.program ssh-keygen`"
        default: return nil
        }
    case let e as RemoteError:
        if case .noSuchStore = e { return "`lineage remote set-content <remote> <url>` changes the content URL" }
        return nil
    case is IndexError:
        return "`lineage status` rebuilds it"
    default:
        return nil
    }
}

/// An error's message with its hint, for errors wrapped into another error's text.
func withHint(_ error: Error) -> String {
    String(describing: error) + (hint(for: error).map { " — " + $0 } ?? "")
}
