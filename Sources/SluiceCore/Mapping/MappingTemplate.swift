import Foundation

/// An `@template` string: text with `{{path}}` (or `{{{path}}}`) placeholders filled from the event.
///
/// A placeholder is `{{`, one or more characters other than `}`, then `}}`; the characters, trimmed of
/// whitespace, are a ``MappingPath`` (usually without `$.`: `{{properties.name}}`). Text that does not form
/// a placeholder (`{{`, `{{}}`, `{ {a} }`) is copied as it is. Values are not HTML-escaped.
struct MappingTemplate: Sendable {
    /// One part of a template.
    enum Part: Sendable {
        /// Text copied as it is.
        case text(String)
        /// A placeholder: its path (`nil` when it cannot be parsed) and its trimmed text.
        case placeholder(MappingPath?, source: String)
    }

    /// The template, in order.
    let parts: [Part]

    /// Splits a template into text and placeholders; a placeholder whose path cannot be parsed keeps `nil`.
    init(_ template: String) {
        let s = Array(template.unicodeScalars)
        // The offset of the first "}" at or after each offset (s.count when none), found in one pass from the end:
        // looking for it from every "{{" instead made a template of many unclosed "{{" quadratic (found by FuzzTests).
        var nextClose = [Int](repeating: s.count, count: s.count + 1)
        for k in stride(from: s.count - 1, through: 0, by: -1) { nextClose[k] = s[k] == "}" ? k : nextClose[k + 1] }
        var parts: [Part] = []
        var text = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            if let (inner, next) = Self.placeholder(s, at: i, nextClose: nextClose) {
                if !text.isEmpty {
                    parts.append(.text(String(text)))
                    text = String.UnicodeScalarView()
                }
                let trimmed = inner.trimmingCharacters(in: .whitespacesAndNewlines)
                parts.append(.placeholder(MappingPath.cached(trimmed), source: trimmed))
                i = next
            } else {
                text.append(s[i])
                i += 1
            }
        }
        if !text.isEmpty { parts.append(.text(String(text))) }
        self.parts = parts
    }

    /// The placeholder starting at `i` (`{{{…}}}` tried first, then `{{…}}`): its inner text and the offset after it.
    private static func placeholder(_ s: [Unicode.Scalar], at i: Int, nextClose: [Int]) -> (String, Int)? {
        for braces in [3, 2] {
            guard i + braces < s.count, (0..<braces).allSatisfy({ s[i + $0] == "{" }) else { continue }
            let j = nextClose[i + braces]
            guard j > i + braces, j + braces <= s.count, (0..<braces).allSatisfy({ s[j + $0] == "}" }) else { continue }
            var inner = String.UnicodeScalarView()
            inner.append(contentsOf: s[(i + braces)..<j])
            return (String(inner), j + braces)
        }
        return nil
    }

    /// The first placeholder whose path cannot be parsed, with the reason.
    var invalidPlaceholder: (source: String, error: MappingPath.ParseError)? {
        for case .placeholder(nil, let source) in parts {
            do {
                _ = try MappingPath(parsing: source)
            } catch {
                return (source, error)
            }
        }
        return nil
    }

    /// The template with each placeholder replaced by the event's value: strings as they are, numbers and booleans
    /// as JSON writes them, objects and arrays as compact JSON, and a missing or `null` value as the empty string.
    ///
    /// - Parameter limit: the most bytes (UTF-8) the result may hold; `nil` when it would hold more.
    func render(_ event: JSONValue, limit: Int = .max) -> String? {
        var result = ""
        for part in parts {
            switch part {
            case .text(let text):
                result += text
            case .placeholder(let path, _):
                switch path?.value(in: event) {
                case nil, .null?: break
                case .string(let s)?: result += s
                case let value?:
                    // Checked before encoding: a large value is not encoded just to be thrown away.
                    guard TrackingAPI.encodedSize(value, limit: limit) <= limit - result.utf8.count else { return nil }
                    result += String(decoding: JSONWriter.encode(value), as: UTF8.self)
                }
            }
            if result.utf8.count > limit { return nil }
        }
        return result
    }
}
