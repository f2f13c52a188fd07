import Foundation

// Canonical FQL text: parsing the description of an expression gives the same expression back.

extension FQLExpression: CustomStringConvertible {
    /// The expression in canonical FQL: single spaces, lower-case `and`/`or`, nested groups in parentheses.
    public var description: String {
        switch self {
        case .condition(let condition): condition.description
        case .and(let members): members.map(\.nestedDescription).joined(separator: " and ")
        case .or(let members): members.map(\.nestedDescription).joined(separator: " or ")
        }
    }

    private var nestedDescription: String {
        if case .condition = self { return description }
        return "(\(description))"
    }
}

extension FQLCondition: CustomStringConvertible {
    /// The condition in canonical FQL, e.g. `properties.total >= 10` or `!contains(event, "Test")`.
    public var description: String {
        switch operation {
        case .equal(let literal): "\(field) = \(literal)"
        case .notEqual(let literal): "\(field) != \(literal)"
        case .less(let n): "\(field) < \(FQLLiteral.number(n))"
        case .lessOrEqual(let n): "\(field) <= \(FQLLiteral.number(n))"
        case .greater(let n): "\(field) > \(FQLLiteral.number(n))"
        case .greaterOrEqual(let n): "\(field) >= \(FQLLiteral.number(n))"
        case .contains(let s): "contains(\(field), \(FQLLiteral.string(s)))"
        case .notContains(let s): "!contains(\(field), \(FQLLiteral.string(s)))"
        case .match(let p): "match(\(field), \(FQLLiteral.string(p.source)))"
        case .notMatch(let p): "!match(\(field), \(FQLLiteral.string(p.source)))"
        }
    }
}

extension FQLField: CustomStringConvertible {
    /// The field as written in FQL: dotted, with a backslash before any character other than a letter, digit, `_` or `-`.
    public var description: String {
        ([root] + keys).map { key in
            var escaped = ""
            for scalar in key.unicodeScalars {
                if !FQLParser.isNameScalar(scalar) { escaped.append("\\") }
                escaped.unicodeScalars.append(scalar)
            }
            return escaped
        }.joined(separator: ".")
    }
}

extension FQLLiteral: CustomStringConvertible {
    /// The literal as written in FQL: strings double-quoted with `\"` and `\\` escapes, whole numbers without a fraction.
    public var description: String {
        switch self {
        case .string(let s):
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .number(let n):
            n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }
}
