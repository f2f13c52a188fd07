/// A catalog file that cannot be used, with where and why.
///
/// A file is refused whole: one bad entry means nothing of the file is taken. The
/// ``description`` names the entry (its index in the file, with its id or slug when they
/// could be read) and the field, as in
/// `destinations[12] (id 54521fd525e721e32a72ee91, line 345): field "settings[3].required" must be a boolean`.
public struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The entry at fault, e.g. `destinations[12] (id 54521fd525e721e32a72ee91)`, or `nil` when the fault is in the file as a whole.
    public var entry: String?
    /// The field at fault within the entry (or the file), dotted and indexed like `settings[3].required`, when one applies.
    public var field: String?
    /// What is wrong, phrased to follow the field: `must be a boolean`, `is missing`.
    public var problem: String

    /// Creates an error.
    ///
    /// - Parameters:
    ///   - entry: The entry at fault, when known.
    ///   - field: The field at fault, when one applies.
    ///   - problem: What is wrong.
    public init(entry: String? = nil, field: String? = nil, problem: String) {
        self.entry = entry
        self.field = field
        self.problem = problem
    }

    /// The whole message, for a person: entry, field and problem.
    public var description: String {
        var text = ""
        if let entry { text += "\(entry): " }
        if let field { text += "field \"\(field)\" " }
        return text + problem
    }
}
