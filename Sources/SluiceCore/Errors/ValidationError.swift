/// A client's input broke a rule of the domain.
///
/// The HTTP layer renders it in Segment's error envelope: ``Kind/validation`` as 422
/// `ValidationFailure`, ``Kind/badRequest`` as 400, with ``field`` naming the input
/// field (dotted, e.g. `settings.apiKey`) where one applies.
public struct ValidationError: Error, Sendable, Equatable {
    /// How the HTTP layer answers it.
    public enum Kind: Sendable, Equatable {
        /// 422: the request is well formed but breaks a rule.
        case validation
        /// 400: the request cannot be applied at all (e.g. only read-only settings in an update).
        case badRequest
    }

    public var kind: Kind
    /// What was wrong, for a person: names the field and what was expected. Never carries a secret value.
    public var message: String
    /// The input field at fault, dotted (`settings.apiKey`, `pagination.count`), when one applies.
    public var field: String?

    public init(_ message: String, field: String? = nil, kind: Kind = .validation) {
        self.kind = kind
        self.message = message
        self.field = field
    }
}

extension ValidationError: CustomStringConvertible {
    public var description: String { message }
}
