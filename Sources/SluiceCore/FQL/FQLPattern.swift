import Foundation

/// A `match()` pattern as written in a trigger.
///
/// Segment's evaluator does not read it as a glob: a pattern ending in `*` is a prefix test and any
/// other is a suffix test of the pattern less its first character (docs/fql.md, "Operators");
/// ``Trigger/matches(_:)`` evaluates it that way.
public struct FQLPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written, without quotes or escapes.
    public let source: String

    /// Creates a pattern from its unquoted text.
    public init(_ source: String) {
        self.source = source
    }

    /// The pattern as written.
    public var description: String { source }

    /// Two patterns are equal when written the same.
    public static func == (lhs: FQLPattern, rhs: FQLPattern) -> Bool { lhs.source == rhs.source }

    /// Hashes the pattern's text.
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }
}
