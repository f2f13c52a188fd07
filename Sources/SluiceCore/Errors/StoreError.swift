/// A store operation could not be carried out.
public enum StoreError: Error, Sendable, Equatable {
    /// The resource named does not exist (in this workspace).
    case notFound(resource: String, id: String)
    /// The write clashes with existing data, e.g. a slug already taken; `field` names the input field that clashes,
    /// when one does.
    case conflict(String, field: String? = nil)
    /// The store cannot be reached or cannot write (disk full, read-only file, connection lost).
    case unavailable(String)
}

extension StoreError: CustomStringConvertible {
    /// A plain sentence for people (the CLI prints it as it is).
    public var description: String {
        switch self {
        case .notFound(let resource, let id): "No \(resource) with id \(id)"
        case .conflict(let message, _): message
        case .unavailable(let message): message
        }
    }
}
