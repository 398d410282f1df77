/// Seeded mutation of a valid sample for fuzz tests: bit flips, byte insertions and deletions,
/// truncations, inserted tokens and self-splices. The same seed gives the same inputs, so a
/// failure reproduces.
public struct SeededMutator {
    private var state: UInt64
    private let tokens: [[UInt8]]

    public init(seed: UInt64, tokens: [[UInt8]]) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        self.tokens = tokens.isEmpty ? [[0]] : tokens
    }

    mutating func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + below(4)) {
            switch below(6) {
            case 0 where !b.isEmpty: let i = below(b.count); b[i] ^= UInt8(1 << below(8))
            case 1: b.insert(UInt8(truncatingIfNeeded: next()), at: below(b.count + 1))
            case 2 where !b.isEmpty: b.remove(at: below(b.count))
            case 3: b = Array(b.prefix(below(b.count + 1)))
            case 4: b.insert(contentsOf: tokens[below(tokens.count)], at: below(b.count + 1))
            default:
                if b.count > 2 { let i = below(b.count), j = below(b.count); if i < j { b.insert(contentsOf: b[i..<j], at: below(b.count)) } }
            }
        }
        return b
    }
}
