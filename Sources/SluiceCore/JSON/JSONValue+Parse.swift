import Foundation

extension JSONValue {
    /// Parses JSON bytes into a value.
    ///
    /// - Throws: ``JSONParseError`` when the bytes are not JSON (invalid UTF-8 included).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: Array(bytes))
        return try parser.parseDocument()
    }

    /// Parses a JSON string into a value.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses JSON as `JSON.parse` reads it where that differs from ``parse(_:)-(String)``: a key repeated in one
    /// object keeps its last value.
    static func parseAsJavaScript(_ text: String) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes: Array(text.utf8))
        parser.keepsLastDuplicate = true
        return try parser.parseDocument()
    }
}
