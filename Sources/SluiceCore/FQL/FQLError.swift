import Foundation

/// A trigger that is not valid subscription FQL: what was expected, and where.
///
/// ``message`` reads like `Expected a value after "=" at character 8, found the end of the trigger`.
/// Characters are Unicode scalars counted from 1 at the start of the trigger (newlines count as one).
public struct FQLError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The whole message, position included.
    public var message: String
    /// The 1-based character at which the problem was found; one past the end when the trigger ended too soon.
    public var position: Int

    /// Creates an error.
    public init(message: String, position: Int) {
        self.message = message
        self.position = position
    }

    /// The message.
    public var description: String { message }

    /// The error as the HTTP layer renders it: a 422 naming `field`.
    ///
    /// - Parameter field: the request field that held the trigger, `trigger` unless it was nested.
    public func validationError(field: String = "trigger") -> ValidationError {
        ValidationError(message, field: field)
    }
}
