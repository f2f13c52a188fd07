import SluiceCore

/// Reads typed fields out of one JSON object of a catalog entry, and names the entry and
/// the field (`settings[3].required`) in every error it throws.
///
/// A key that is absent or `null` takes the default the caller gives; a key that is there
/// with the wrong type is an error.
struct FieldReader {
    /// The object being read.
    let object: [String: JSONValue]
    /// The dotted path of this object inside its entry; empty for the entry itself.
    let path: String
    /// The entry's label, e.g. `destinations[12] (id 54521fd525e721e32a72ee91)`.
    let entry: String

    /// A reader of `object`, found at `path` inside the entry labelled `entry`.
    init(object: [String: JSONValue], path: String = "", entry: String) {
        self.object = object
        self.path = path
        self.entry = entry
    }

    /// The label of an entry of a file: `destinations[12] (id X, line 345)`, from its id or else its slug.
    static func entryLabel(kind: String, index: Int, object: [String: JSONValue]?, line: Int? = nil) -> String {
        var parts: [String] = []
        if let id = object?["id"]?.stringValue, !id.isEmpty {
            parts.append("id \(id)")
        } else if let slug = object?["slug"]?.stringValue, !slug.isEmpty {
            parts.append("slug \(slug)")
        }
        if let line, line > 0 { parts.append("line \(line)") }
        return parts.isEmpty ? "\(kind)[\(index)]" : "\(kind)[\(index)] (\(parts.joined(separator: ", ")))"
    }

    /// The dotted path of `key` in the entry: `settings[3].required`.
    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// An error about `key` of this object.
    func error(_ key: String, _ problem: String) -> CatalogError {
        CatalogError(entry: entry, field: fieldPath(key), problem: problem)
    }

    private func typeError(_ key: String, _ expected: String, _ found: JSONValue) -> CatalogError {
        error(key, "must be \(expected), not \(article(found.typeName))")
    }

    private func article(_ typeName: String) -> String {
        typeName == "array" || typeName == "object" ? "an \(typeName)" : typeName == "null" ? "null" : "a \(typeName)"
    }

    /// The value at `key` as written: `nil` when absent, ``JSONValue/null`` when written as null.
    func value(_ key: String) -> JSONValue? { object[key] }

    /// An action field's `choices`: any value, and `nil` when absent or null.
    func choices(_ key: String) -> JSONValue? {
        // Not `isNull ? nil : value`: JSONValue is ExpressibleByNilLiteral, so that `nil` would be `.null`.
        guard let value = object[key], !value.isNull else { return Optional<JSONValue>.none }
        return value
    }

    /// A value that must be there and not be null.
    func required(_ key: String) throws(CatalogError) -> JSONValue {
        guard let value = object[key], !value.isNull else { throw error(key, "is missing") }
        return value
    }

    /// A string that must be there and not be empty.
    func requiredString(_ key: String) throws(CatalogError) -> String {
        let value = try required(key)
        guard case .string(let s) = value else { throw typeError(key, "a string", value) }
        guard !s.isEmpty else { throw error(key, "must not be empty") }
        return s
    }

    /// A string that may be absent or null.
    func optionalString(_ key: String) throws(CatalogError) -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .string(let s) = value else { throw typeError(key, "a string", value) }
        return s
    }

    /// A string, or `defaultValue` when absent or null.
    func string(_ key: String, default defaultValue: String = "") throws(CatalogError) -> String {
        try optionalString(key) ?? defaultValue
    }

    /// A string or a number written as text (`"0"`, or `0`), or `defaultValue` when absent or null.
    func stringOrNumber(_ key: String, default defaultValue: String) throws(CatalogError) -> String {
        guard let value = object[key], !value.isNull else { return defaultValue }
        switch value {
        case .string(let s): return s
        case .number(let n): return n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        default: throw typeError(key, "a string", value)
        }
    }

    /// A boolean, or `defaultValue` when absent or null.
    func bool(_ key: String, default defaultValue: Bool = false) throws(CatalogError) -> Bool {
        guard let value = object[key], !value.isNull else { return defaultValue }
        guard case .bool(let b) = value else { throw typeError(key, "a boolean", value) }
        return b
    }

    /// A number, or `defaultValue` when absent or null.
    func number(_ key: String, default defaultValue: Double = 0) throws(CatalogError) -> Double {
        guard let value = object[key], !value.isNull else { return defaultValue }
        guard case .number(let n) = value else { throw typeError(key, "a number", value) }
        return n
    }

    /// A list of strings, empty when absent or null.
    func strings(_ key: String) throws(CatalogError) -> [String] {
        guard let value = object[key], !value.isNull else { return [] }
        guard case .array(let array) = value else { throw typeError(key, "a list of strings", value) }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for (i, element) in array.enumerated() {
            guard case .string(let s) = element else { throw typeError("\(key)[\(i)]", "a string", element) }
            strings.append(s)
        }
        return strings
    }

    /// An object read with its own reader, or `nil` when absent or null.
    func object(_ key: String) throws(CatalogError) -> FieldReader? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case .object(let o) = value else { throw typeError(key, "an object", value) }
        return FieldReader(object: o, path: fieldPath(key), entry: entry)
    }

    /// A free-form JSON object, empty when absent or null.
    func jsonObject(_ key: String) throws(CatalogError) -> [String: JSONValue] {
        guard let value = object[key], !value.isNull else { return [:] }
        guard case .object(let o) = value else { throw typeError(key, "an object", value) }
        return o
    }

    /// A list of objects, each mapped with its own reader (path `key[i]`); empty when absent or null.
    func objects<T>(_ key: String, _ transform: (FieldReader) throws(CatalogError) -> T) throws(CatalogError) -> [T] {
        guard let value = object[key], !value.isNull else { return [] }
        guard case .array(let array) = value else { throw typeError(key, "a list", value) }
        var result: [T] = []
        result.reserveCapacity(array.count)
        for (i, element) in array.enumerated() {
            guard case .object(let o) = element else { throw typeError("\(key)[\(i)]", "an object", element) }
            result.append(try transform(FieldReader(object: o, path: fieldPath("\(key)[\(i)]"), entry: entry)))
        }
        return result
    }
}
