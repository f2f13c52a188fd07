import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import SluiceCore

/// An error answered in Segment's envelope: `{"errors":[{"type","message","field"?,"data"?,"status"}]}`.
///
/// Every error that leaves Sluice is one of these; ``ErrorMiddleware`` turns domain,
/// store and framework errors into it. Messages name ids and fields, never secrets.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var type: String
    public var message: String
    public var field: String?
    /// Extra data, pre-encoded (the 429 answer carries its counters here).
    public var data: JSONValue?
    /// Extra headers (`Allow`, `Retry-After`).
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, type: String, message: String, field: String? = nil, data: JSONValue? = nil,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.type = type
        self.message = message
        self.field = field
        self.data = data
        self.headers = headers
    }

    static func notFound(_ message: String = "Resource not found") -> APIError {
        APIError(.notFound, type: "NotFound", message: message)
    }
    static func validation(_ message: String, field: String? = nil) -> APIError {
        APIError(.unprocessableContent, type: "ValidationFailure", message: message, field: field)
    }
    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, type: "BadRequest", message: message, field: field)
    }
    static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, type: "Forbidden", message: message)
    }
    static let unauthorized = APIError(
        .unauthorized, type: "Unauthorized",
        message: "A valid Public API token is required: send it as \"Authorization: Bearer <token>\"")
    static func unavailable(_ message: String) -> APIError {
        APIError(.serviceUnavailable, type: "ServiceUnavailable", message: message, headers: [.retryAfter: "1"])
    }

    /// The answer to a request body that could not be read whole: 413 when it went over `limitText`,
    /// else 400 (it ended before its `Content-Length`, or its framing was not valid HTTP).
    static func unreadableBody(_ error: any Error, limitText: String) -> APIError {
        if error is NIOTooManyBytesError {
            return APIError(.contentTooLarge, type: "PayloadTooLarge", message: "The request body is over the limit of \(limitText)")
        }
        return .badRequest("The request body could not be read: it ended before its Content-Length, or was not valid HTTP")
    }

    /// The envelope's bytes.
    var body: [UInt8] {
        var w = JSONWriter(capacity: 128 + message.utf8.count)
        w.raw("{\"errors\":[{\"type\":")
        w.string(type)
        w.raw(",\"message\":")
        w.string(message)
        if let field {
            w.raw(",\"field\":")
            w.string(field)
        }
        if let data {
            w.raw(",\"data\":")
            w.value(data)
        }
        w.raw(",\"status\":")
        w.number(Double(status.code))
        w.raw("}]}")
        return w.bytes
    }

    /// The response: always `application/json`, whatever was asked for.
    func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension APIError {
    /// The API error for any error thrown below the HTTP layer, or `nil` when it is unexpected (a 500).
    static func from(_ error: any Error) -> APIError? {
        switch error {
        case let error as APIError:
            return error
        case let error as ValidationError:
            switch error.kind {
            case .validation: return .validation(error.message, field: error.field)
            case .badRequest: return .badRequest(error.message, field: error.field)
            }
        case let error as StoreError:
            switch error {
            case .notFound(let resource, let id):
                return .notFound(id.isEmpty ? "Resource not found" : "No \(resource) with id \(id)")
            case .conflict(let message, let field): return .validation(message, field: field)
            case .unavailable(let message): return .unavailable(message)
            }
        case is NIOTooManyBytesError, is HTTPParserError:
            // A body read outside RequestBody.collect: the same answers (never a 500).
            return .unreadableBody(error, limitText: "1 MB")
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .notFound("No route for this path")
            case .contentTooLarge:
                return APIError(.contentTooLarge, type: "PayloadTooLarge", message: "The request body is over the limit of 1 MB")
            case .badRequest: return .badRequest(error.body ?? "Bad request")
            default:
                return APIError(
                    error.status, type: error.status.reasonPhrase.replacingOccurrences(of: " ", with: ""),
                    message: error.body ?? error.status.reasonPhrase)
            }
        default:
            return nil
        }
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let rateLimitConsumed = HTTPField.Name("X-RateLimit-Consumed")!
    static let rateLimitRemaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("X-RateLimit-Reset")!
}
