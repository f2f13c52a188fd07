import Foundation

/// A `match()` pattern: a glob in which `*` stands for any run of characters, the empty run included.
///
/// `"Order*"` is a prefix test, `"*Completed"` a suffix test, `"*der Comp*"` a substring test,
/// `"Order*ed"` prefix and suffix at once, and a pattern without `*` must equal the whole string.
/// No other character is special (`?` and `[` match themselves) and there is no way to match a
/// literal `*` other than with a wildcard. Comparison is by exact Unicode scalars, as for `=`.
public struct FQLPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written, without quotes or escapes.
    public let source: String
    /// `source` split at each `*`, in UTF-8: one piece more than there are wildcards.
    let pieces: [[UInt8]]

    /// Creates a pattern from its unquoted text.
    public init(_ source: String) {
        self.source = source
        self.pieces = source.utf8.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false).map(Array.init)
    }

    /// The pattern as written.
    public var description: String { source }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        if let result = text.utf8.withContiguousStorageIfAvailable({ matches(bytes: $0) }) { return result }
        return Array(text.utf8).withUnsafeBufferPointer { matches(bytes: $0) }
    }

    private func matches(bytes text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard pieces.count > 1 else { return ByteSearch.equal(text, 0, text.count, pieces[0]) }
        let first = pieces[0]
        let last = pieces[pieces.count - 1]
        guard text.count >= first.count + last.count else { return false }
        guard ByteSearch.equal(text, 0, first.count, first), ByteSearch.equal(text, text.count - last.count, text.count, last) else {
            return false
        }
        // Leftmost placement of each middle piece is always safe for `*`-only globs: it leaves the most room to the right.
        var start = first.count
        let end = text.count - last.count
        for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
            guard let found = ByteSearch.firstIndex(of: piece, in: text, from: start, to: end) else { return false }
            start = found + piece.count
        }
        return true
    }

    /// Two patterns are equal when written the same.
    public static func == (lhs: FQLPattern, rhs: FQLPattern) -> Bool { lhs.source == rhs.source }

    /// Hashes the pattern's text.
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}
