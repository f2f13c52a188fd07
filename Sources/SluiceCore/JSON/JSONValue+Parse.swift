import Foundation

extension JSONValue {
    /// Parses JSON bytes into a value.
    ///
    /// - Throws: ``JSONParseError`` when the bytes are not JSON (invalid UTF-8 included).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        // The closures hand back a Result: withContiguousStorageIfAvailable and withUnsafeBufferPointer rethrow as
        // `any Error`.
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) in Result { () throws(JSONParseError) in try JSONParser.parseDocument(buffer) } }
        if let result = bytes.withContiguousStorageIfAvailable(parse) { return try result.get() }
        return try Array(bytes).withUnsafeBufferPointer(parse).get()
    }

    /// Parses a JSON string into a value.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { buffer in Result { () throws(JSONParseError) in try JSONParser.parseDocument(buffer) } }.get()
    }

    /// Parses JSON as `JSON.parse` reads it where that differs from ``parse(_:)-(String)``: a key repeated in one
    /// object keeps its last value.
    static func parseAsJavaScript(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try JSONParser.parseDocument(buffer, keepsLastDuplicate: true) }
        }.get()
    }
}
