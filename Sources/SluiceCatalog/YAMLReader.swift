import SluiceCore
import Yams

/// Reads a YAML document into ``JSONValue``s, resolving plain scalars by the YAML 1.2 core schema.
///
/// Yams' default resolver follows YAML 1.1 (where `yes`, `on` and `2025-11-06` are not strings)
/// and runs regular expressions on every scalar; the docs catalog is written for YAML 1.2, and
/// 4 MB of it resolve faster by hand.
enum YAMLReader {
    /// A parsed document: its root as JSON, and the line on which each element of the root's
    /// `items` list starts (empty when there is no such list).
    struct Document {
        /// The document as JSON.
        var root: JSONValue
        /// The line (from 1) where each element of `items` starts.
        var itemLines: [Int]
    }

    /// Parses YAML text.
    ///
    /// - Parameters:
    ///   - text: The YAML document (the first one, when the stream holds several).
    ///   - itemName: What to call an element of `items` in messages, e.g. `destinations`.
    /// - Throws: ``CatalogError`` when the text is not YAML, or uses what JSON cannot hold
    ///   (a mapping or a list as a key).
    static func read(_ text: String, itemName: String) throws(CatalogError) -> Document {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw syntaxError(error, text: text, itemName: itemName)
        } catch {
            throw CatalogError(problem: "not valid YAML: \(error)")
        }
        guard let node else { throw CatalogError(problem: "the file is empty") }
        var lines: [Int] = []
        if case .mapping(let mapping) = node {
            for (key, value) in mapping where key.scalar?.string == "items" {
                if case .sequence(let items) = value { lines = items.map { $0.mark?.line ?? 0 } }
            }
        }
        return Document(root: try json(node), itemLines: lines)
    }

    // MARK: - Nodes to JSON

    private static func json(_ node: Node) throws(CatalogError) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            return try json(scalar)
        case .sequence(let sequence):
            var array: [JSONValue] = []
            array.reserveCapacity(sequence.count)
            for element in sequence { array.append(try json(element)) }
            return .array(array)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            object.reserveCapacity(mapping.count)
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw CatalogError(problem: "a key that is not a plain value\(at(key.mark)): JSON cannot hold it")
                }
                object[keyScalar.string] = try json(value)
            }
            return .object(object)
        case .alias:
            // Yams composes aliases into the nodes they name; an alias node is never returned.
            throw CatalogError(problem: "an unresolved alias\(at(node.mark))")
        }
    }

    private static func json(_ scalar: Node.Scalar) throws(CatalogError) -> JSONValue {
        let tag = scalar.tag.rawValue
        if tag.isEmpty {
            // Quoted and block scalars carry the str tag already; only plain ones arrive here untagged.
            return scalar.style == .plain || scalar.style == .any ? resolvePlain(scalar.string) : .string(scalar.string)
        }
        switch Tag.Name(rawValue: tag) {
        case .null, .bool, .int, .float:
            let value = resolvePlain(scalar.string)
            guard tagName(of: value) == tag || (tag == Tag.Name.float.rawValue && value.numberValue != nil) else {
                throw CatalogError(problem: "\"\(scalar.string)\" is not a \(tag.split(separator: ":").last ?? "")\(at(scalar.mark))")
            }
            return value
        default:
            return .string(scalar.string)
        }
    }

    private static func tagName(of value: JSONValue) -> String {
        switch value {
        case .null: Tag.Name.null.rawValue
        case .bool: Tag.Name.bool.rawValue
        case .number: Tag.Name.int.rawValue
        default: Tag.Name.str.rawValue
        }
    }

    /// Resolves a plain scalar as the YAML 1.2 core schema does: null, booleans, integers
    /// (decimal, `0o` octal, `0x` hex) and floats; anything else is a string.
    static func resolvePlain(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", "+.inf", ".Inf", "+.Inf", ".INF", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN":
            // JSON has no infinities or NaN; keep the text.
            return .string(text)
        default: break
        }
        let utf8 = Array(text.utf8)
        guard let first = utf8.first,
            first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
                || isDigit(first)
        else { return .string(text) }
        if utf8.count > 2, utf8[0] == UInt8(ascii: "0"), utf8[1] == UInt8(ascii: "o") || utf8[1] == UInt8(ascii: "x") {
            let radix = utf8[1] == UInt8(ascii: "o") ? 8 : 16
            if let value = Int64(String(decoding: utf8[2...], as: UTF8.self), radix: radix) { return .number(Double(value)) }
            return .string(text)
        }
        if isCoreNumber(utf8), let value = Double(text), value.isFinite { return .number(value) }
        return .string(text)
    }

    /// Whether the bytes match `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
    private static func isCoreNumber(_ b: [UInt8]) -> Bool {
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
        var integerDigits = 0
        while i < b.count, isDigit(b[i]) { i += 1; integerDigits += 1 }
        var fractionDigits = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, isDigit(b[i]) { i += 1; fractionDigits += 1 }
        }
        guard integerDigits > 0 || fractionDigits > 0 else { return false }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { i += 1 }
            var exponentDigits = 0
            while i < b.count, isDigit(b[i]) { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return false }
        }
        return i == b.count
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private static func at(_ mark: Mark?) -> String {
        guard let mark else { return "" }
        return " at line \(mark.line), column \(mark.column)"
    }

    // MARK: - Syntax errors

    /// Turns a Yams error into a message with its position and, when the file has an `items`
    /// list, the entry around that position.
    private static func syntaxError(_ error: YamlError, text: String, itemName: String) -> CatalogError {
        let problem: String
        let mark: Mark?
        switch error {
        case .scanner(let context, let p, let m, _), .parser(let context, let p, let m, _), .composer(let context, let p, let m, _):
            problem = context.map { "\($0.text) \(p)" } ?? p
            mark = m
        case .duplicatedKeysInMapping(let duplicates, let context):
            problem = "duplicate key \(duplicates.map { "\"\($0)\"" }.joined(separator: ", "))"
            mark = context.mark
        case .reader(let p, _, _, _):
            problem = p
            mark = nil
        default:
            problem = "\(error)"
            mark = nil
        }
        let entry = mark.flatMap { entryAround(line: $0.line, in: text, itemName: itemName) }
        return CatalogError(entry: entry, problem: "not valid YAML\(at(mark)): \(problem)")
    }

    /// Finds the element of the top-level `items` list that holds `line`, by its text alone
    /// (the document did not parse): `destinations[12] (id 54521fd525e721e32a72ee91, line 345)`.
    static func entryAround(line target: Int, in text: String, itemName: String) -> String? {
        var lineNumber = 0
        var itemPrefix: Substring?
        var sawItems = false
        var index = -1
        var start = 0
        var id: Substring?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if lineNumber > target { break }
            if !sawItems {
                sawItems = line.hasPrefix("items:")
                continue
            }
            if itemPrefix == nil, let dash = line.firstIndex(where: { $0 != " " }), line[dash...].hasPrefix("- ") {
                itemPrefix = line[..<line.index(dash, offsetBy: 2)]
            }
            if let itemPrefix, line.hasPrefix(itemPrefix), line.dropFirst(itemPrefix.count).first != " " {
                index += 1
                start = lineNumber
                let rest = line.dropFirst(itemPrefix.count)
                id = rest.hasPrefix("id: ") ? rest.dropFirst(4) : nil
            }
        }
        guard index >= 0 else { return nil }
        let idPart = id.map { "id \($0.trimming(["'", "\"", " "])), " } ?? ""
        return "\(itemName)[\(index)] (\(idPart)line \(start))"
    }
}

extension StringProtocol {
    fileprivate func trimming(_ set: Set<Character>) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
