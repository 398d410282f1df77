import LineageCore

extension LineageError: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .nothingToCommit: return .findings
        case .newerFormat, .localChanges, .unverifiedHistory: return .conflict
        case .damagedRepository, .missingContent, .unsafePathInHistory, .damagedStagingIndex: return .damaged
        case .unreadable: return .system
        case .notARepository, .alreadyARepository, .outsideWorkingDirectory, .symlinkEscapes, .symlinkNotTracked, .reservedPath,
             .notFound, .notAFile, .notTracked, .unknownRevision, .ambiguousRevision, .noCommits, .emptyMessage, .identityMissing,
             .symlinkInTheWay, .unreadableTable, .brokenSymlink, .invalidArgument, .noSigningKey, .signing, .untrustedSigner,
             .config, .erased:
            return .input
        }
    }
}

extension RemoteFailure: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .notFastForward, .rewritten, .contentTransferUnavailable, .untrustedHistory, .foreignRoot, .rootUnsigned, .severalRoots,
             .tombstoneDropped, .erasedContent, .fetchFirst:
            return .conflict
        case .badName, .unknownRemote, .remoteExists, .credentialInURL, .notLineageHistory, .emptyRemote, .unknownRemoteBranch,
             .detachedHead, .unknownBranch, .noTrustRoot, .rootNotConfirmed, .trustRootMismatch, .destinationNotEmpty, .noContentLocation, .noContent:
            return .input
        }
    }
}

extension ConfigError: CategorizedError { public var category: FailureCategory { .input } }
extension RightsMetaError: CategorizedError { public var category: FailureCategory { .input } }
extension MergeConflicts: CategorizedError { public var category: FailureCategory { .conflict } }
extension HooksBlocked: CategorizedError { public var category: FailureCategory { .findings } }
extension HooksNotTrusted: CategorizedError { public var category: FailureCategory { .conflict } }

extension RunSupportError: CategorizedError {
    public var category: FailureCategory {
        switch self {
        case .commandNotFound, .notExecutable: return .input
        case .spawnFailed, .captureFailed: return .system
        }
    }
}

/// A params or metrics file that cannot be read as values: the user's file is wrong or missing.
extension ValuesFileError: CategorizedError {
    public var category: FailureCategory { .input }
}
