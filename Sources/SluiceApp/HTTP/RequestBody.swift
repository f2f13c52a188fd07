import Hummingbird
import SluiceCore

/// Reading a JSON request body: size limit, media type, syntax, top-level object.
enum RequestBody {
    /// Bodies over this are refused with 413.
    static let maxSize = 1_048_576

    /// Reads the body as a JSON object.
    ///
    /// Every operation that takes a body requires one, as Segment's document says: a missing or
    /// empty body is a 400 (a PATCH with nothing to change sends `{}`).
    /// - Throws: ``APIError``: 415 for a non-JSON `Content-Type`, 413 over 1 MB,
    ///   400 when it is missing or not JSON, 422 when it is JSON but not an object.
    static func object(_ request: Request) async throws -> [String: JSONValue] {
        guard MediaType.isAcceptableBody(contentType: request.headers[.contentType]) else {
            throw APIError(
                .unsupportedMediaType, type: "UnsupportedMediaType",
                message: "Send the body as JSON: Content-Type: application/json (or application/vnd.segment.v1+json)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxSize {
            throw APIError(.contentTooLarge, type: "PayloadTooLarge", message: "The request body is over the limit of 1 MB")
        }
        let buffer = try await collect(request, upTo: maxSize, limitText: "1 MB")
        let bytes = buffer.readableBytesView
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw APIError.badRequest("The request body is empty: send a JSON object")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw APIError.badRequest("The request body is not valid JSON: \(error.description)")
        }
        guard case .object(let object) = value else {
            throw APIError.validation("The request body must be a JSON object, not \(value.typeName)")
        }
        return object
    }
}

extension RequestBody {
    /// The whole body, at most `limit` bytes.
    ///
    /// A chunked body that goes over the limit is a 413, and a body that ends before its
    /// `Content-Length` or is not valid HTTP is a 400: both used to surface as unexpected errors, 500
    /// (found by scripts/e2e_hostile.py).
    /// - Throws: ``APIError``: 413 over the limit, 400 when the body cannot be read.
    static func collect(_ request: Request, upTo limit: Int, limitText: String) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.unreadableBody(error, limitText: limitText)
        }
    }
}

/// Typed reads of fields from a decoded JSON object, each failing with a 422 that names the field.
struct Fields {
    let object: [String: JSONValue]
    /// Prefix for field names in messages (`input.` for the subscription update wrapper).
    var prefix: String = ""

    func name(_ key: String) -> String { prefix + key }

    func has(_ key: String) -> Bool { object[key] != nil }

    func requiredString(_ key: String) throws -> String {
        guard let value = object[key], !value.isNull else { throw APIError.validation("\(name(key)) is required", field: name(key)) }
        guard let s = value.stringValue else { throw typeError(key, "a string", value) }
        return s
    }

    func string(_ key: String) throws -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let s = value.stringValue else { throw typeError(key, "a string", value) }
        return s
    }

    func requiredBool(_ key: String) throws -> Bool {
        guard let value = object[key], !value.isNull else { throw APIError.validation("\(name(key)) is required", field: name(key)) }
        guard let b = value.boolValue else { throw typeError(key, "a boolean", value) }
        return b
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let b = value.boolValue else { throw typeError(key, "a boolean", value) }
        return b
    }

    func object(_ key: String) throws -> [String: JSONValue]? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let o = value.objectValue else { throw typeError(key, "an object", value) }
        return o
    }

    /// An array of strings.
    func strings(_ key: String) throws -> [String]? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let array = value.arrayValue else { throw typeError(key, "an array of strings", value) }
        return try array.enumerated().map { index, element in
            guard let s = element.stringValue else {
                throw APIError.validation("\(name(key))[\(index)] must be a string, got \(element.typeName)", field: name(key))
            }
            return s
        }
    }

    func requiredObject(_ key: String) throws -> [String: JSONValue] {
        guard let o = try object(key) else { throw APIError.validation("\(name(key)) is required", field: name(key)) }
        return o
    }

    /// A name-like string no longer than `limit` characters.
    func text(_ key: String, limit: Int) throws -> String? {
        guard let s = try string(key) else { return nil }
        guard s.count <= limit else {
            throw APIError.validation("\(name(key)) must be at most \(limit) characters (got \(s.count))", field: name(key))
        }
        return s
    }

    private func typeError(_ key: String, _ expected: String, _ value: JSONValue) -> APIError {
        APIError.validation("\(name(key)) must be \(expected), got \(value.typeName)", field: name(key))
    }
}
