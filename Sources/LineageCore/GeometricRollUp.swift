/// Which of many packs to merge, as git's `repack --geometric=2` chooses.
public enum GeometricRollUp {
    /// Given pack sizes sorted ascending, how many of the smallest to merge so that the packs kept
    /// form a geometric progression with factor 2 and each is at least twice everything merged.
    /// Merging that way keeps the number of packs logarithmic in the total size at amortized
    /// linear cost: each byte is rewritten O(log n) times.
    public static func split(_ sizes: [UInt64]) -> Int {
        guard sizes.count > 1 else { return sizes.count }
        var i = sizes.count - 1
        while i > 0 && sizes[i] >= 2 * sizes[i - 1] { i -= 1 }
        var split = i
        var total = sizes[..<split].reduce(0, +)
        while split < sizes.count && sizes[split] < 2 * total { total += sizes[split]; split += 1 }
        return split
    }
}
