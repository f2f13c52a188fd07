import Foundation

/// Parses subscription FQL into an ``FQLExpression``: a hand-written recursive-descent parser over Unicode scalars.
///
/// Any input is safe: the parser refuses triggers longer than ``maxLength`` characters and groups nested deeper
/// than ``maxDepth`` before doing any work that grows with them, and never reads past the end. The grammar is
/// in docs/fql.md; each refusal is an ``FQLError`` naming what was expected and the 1-based character.
struct FQLParser {
    /// Longer triggers are refused (Segment's are a few hundred characters at most).
    static let maxLength = 10_000
    /// Parentheses nested deeper than this are refused.
    static let maxDepth = 64

    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var lookahead: Token?

    /// Prepares to parse `source`; nothing is read until ``parse()``.
    init(_ source: String) {
        // One character past the limit is enough to refuse; a huge input is never copied whole.
        self.scalars = Array(source.unicodeScalars.prefix(Self.maxLength + 1))
    }

    /// Parses the whole trigger.
    ///
    /// - Throws: ``FQLError`` for anything that is not a complete, valid trigger.
    mutating func parse() throws(FQLError) -> FQLExpression {
        guard scalars.count <= Self.maxLength else {
            throw FQLError(
                message: "Expected the end of the trigger at character \(Self.maxLength + 1): a trigger has at most \(Self.maxLength) characters",
                position: Self.maxLength + 1
            )
        }
        let expression = try parseGroup(depth: 0)
        let token = try next()
        guard case .end = token.kind else { throw expected("\"and\", \"or\" or the end of the trigger", token) }
        return expression
    }

    // MARK: - Grammar

    /// `group = term, { joiner, term }` where every joiner of one group is the same word.
    private mutating func parseGroup(depth: Int) throws(FQLError) -> FQLExpression {
        var members = [try parseTerm(depth: depth)]
        var joiner: Joiner?
        while true {
            let token = try peek()
            guard let found = Joiner(token) else { break }
            if let joiner, joiner != found {
                throw FQLError(
                    message: "Expected \"\(joiner.rawValue)\" at character \(token.start + 1), found \"\(text(token))\": "
                        + "use parentheses to combine \"and\" with \"or\"",
                    position: token.start + 1
                )
            }
            joiner = found
            _ = try next()
            members.append(try parseTerm(depth: depth))
        }
        guard let joiner else { return members[0] }
        return joiner == .and ? .and(members) : .or(members)
    }

    /// `term = "(", group, ")" | ["!"], function | comparison`.
    private mutating func parseTerm(depth: Int) throws(FQLError) -> FQLExpression {
        let token = try next()
        switch token.kind {
        case .leftParen:
            guard depth < Self.maxDepth else {
                throw FQLError(
                    message: "Expected at most \(Self.maxDepth) nested groups at character \(token.start + 1), found another \"(\"",
                    position: token.start + 1
                )
            }
            let inner = try parseGroup(depth: depth + 1)
            let close = try next()
            guard case .rightParen = close.kind else { throw expected("\"and\", \"or\" or \")\"", close) }
            return inner
        case .bang:
            let name = try next()
            guard let function = Function(name) else { throw expected("contains( or match( after \"!\"", name) }
            return try parseFunction(function, negated: true)
        case .word:
            if let function = Function(token) { return try parseFunction(function, negated: false) }
            if Joiner(token) != nil { throw expected("a condition", token) }
            return try parseComparison(token)
        default:
            throw expected("a condition", token)
        }
    }

    /// `comparison = field, operator, value`.
    private mutating func parseComparison(_ fieldToken: Token) throws(FQLError) -> FQLExpression {
        let operators = "an operator (=, !=, <, <=, >, >=)"
        let field = try field(fieldToken, followedBy: operators)
        let opToken = try next()
        guard case .symbol(let symbol) = opToken.kind, symbol != "==" else {
            throw expected("\(operators) after \"\(text(fieldToken))\"", opToken)
        }
        let value = try next(value: true)
        let operation: FQLOperation
        switch symbol {
        case "=", "!=":
            let literal: FQLLiteral
            switch value.kind {
            case .string(let s): literal = .string(s)
            case .number(let n): literal = .number(n)
            case .word where keyword(value) == "true": literal = .bool(true)
            case .word where keyword(value) == "false": literal = .bool(false)
            case .word where keyword(value) == "null": literal = .null
            default: throw expected("a value after \"\(symbol)\"", value, hint: quoteHint(value))
            }
            operation = symbol == "=" ? .equal(literal) : .notEqual(literal)
        default:
            guard case .number(let n) = value.kind else {
                throw expected("a number after \"\(symbol)\"", value, hint: ": \(symbol) compares numbers only")
            }
            switch symbol {
            case "<": operation = .less(n)
            case "<=": operation = .lessOrEqual(n)
            case ">": operation = .greater(n)
            default: operation = .greaterOrEqual(n)
            }
        }
        return .condition(FQLCondition(field: field, operation: operation))
    }

    /// `function = ("contains" | "match"), "(", field, ",", string, ")"`, the name already read.
    private mutating func parseFunction(_ function: Function, negated: Bool) throws(FQLError) -> FQLExpression {
        let name = function.rawValue
        let open = try next()
        guard case .leftParen = open.kind else { throw expected("\"(\" after \"\(name)\"", open) }
        let fieldToken = try next()
        guard case .word = fieldToken.kind else { throw expected("a field name as the first argument of \(name)()", fieldToken) }
        let field = try field(fieldToken, followedBy: "\",\"")
        let comma = try next()
        guard case .comma = comma.kind else { throw expected("\",\" after the first argument of \(name)()", comma) }
        let argument = try next()
        guard case .string(let s) = argument.kind else {
            throw expected("a double-quoted string as the second argument of \(name)()", argument, hint: quoteHint(argument))
        }
        let close = try next()
        guard case .rightParen = close.kind else { throw expected("\")\" after the second argument of \(name)()", close) }
        let operation: FQLOperation =
            switch function {
            case .contains: negated ? .notContains(s) : .contains(s)
            case .match: negated ? .notMatch(FQLPattern(s)) : .match(FQLPattern(s))
            }
        return .condition(FQLCondition(field: field, operation: operation))
    }

    /// The field a word names, or an error saying which fields exist.
    private func field(_ token: Token, followedBy next: String) throws(FQLError) -> FQLField {
        guard case .word(let segments, let dots) = token.kind else { throw expected("a field name", token) }
        let root = segments[0]
        if FQLField.scalarRoots.contains(root) {
            guard segments.count == 1 else {
                throw FQLError(
                    message: "Expected \(next) after \"\(root)\" at character \(dots[0] + 1), found \".\": \(root) holds a single value",
                    position: dots[0] + 1
                )
            }
            return FQLField(root: root)
        }
        if FQLField.objectRoots.contains(root) { return FQLField(root: root, keys: Array(segments.dropFirst())) }
        let objects = FQLField.objectRoots.dropLast().joined(separator: ", ") + " or " + FQLField.objectRoots[FQLField.objectRoots.count - 1]
        throw expected("a field name (\(FQLField.scalarRoots.joined(separator: ", ")), or a path under \(objects))", token)
    }

    // MARK: - Errors

    private func expected(_ what: String, _ token: Token, hint: String = "") -> FQLError {
        FQLError(message: "Expected \(what) at character \(token.start + 1), found \(describe(token))\(hint)", position: token.start + 1)
    }

    private func describe(_ token: Token) -> String {
        switch token.kind {
        case .end: "the end of the trigger"
        case .string: "the string \(text(token))"
        default: "\"\(text(token))\""
        }
    }

    /// Bare words and single quotes where a string belongs are the usual slip: say how strings are written.
    private func quoteHint(_ token: Token) -> String {
        switch token.kind {
        case .word: ": strings are written in double quotes"
        case .other where scalars[token.start] == "'": ": strings are written in double quotes"
        default: ""
        }
    }

    /// The source text of a token, shortened to 32 characters.
    private func text(_ token: Token) -> String {
        let end = min(token.end, token.start + 32)
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[token.start..<end])
        return String(view) + (token.end > end ? "…" : "")
    }

    private func keyword(_ token: Token) -> String? {
        guard case .word(let segments, _) = token.kind, segments.count == 1, token.end - token.start == segments[0].unicodeScalars.count
        else { return nil }
        return segments[0].lowercased()
    }

    private enum Joiner: String {
        case and, or

        init?(_ token: Token) {
            guard case .word(let segments, _) = token.kind, segments.count == 1,
                token.end - token.start == segments[0].unicodeScalars.count
            else { return nil }
            self.init(rawValue: segments[0].lowercased())
        }
    }

    private enum Function: String {
        case contains, match

        init?(_ token: Token) {
            guard case .word(let segments, _) = token.kind, segments.count == 1,
                token.end - token.start == segments[0].unicodeScalars.count
            else { return nil }
            self.init(rawValue: segments[0].lowercased())
        }
    }

    // MARK: - Tokens

    private struct Token {
        enum Kind {
            case leftParen, rightParen, comma, bang
            /// `=`, `!=`, `<`, `<=`, `>`, `>=`, and `==` (read only to be refused by name).
            case symbol(String)
            case string(String)
            case number(Double)
            /// A name with its unescaped, dot-separated segments and the offsets of the separating dots.
            case word([String], dots: [Int])
            case end
            /// Any other single character.
            case other
        }

        var kind: Kind
        /// 0-based offsets in scalars; `end` is exclusive.
        var start: Int
        var end: Int
    }

    private mutating func peek() throws(FQLError) -> Token {
        if let lookahead { return lookahead }
        let token = try lex()
        lookahead = token
        return token
    }

    /// The next token; numbers are read only where a value belongs (elsewhere `1.price` is a name, not a bad number).
    private mutating func next(value: Bool = false) throws(FQLError) -> Token {
        if let token = lookahead {
            lookahead = nil
            return token
        }
        return try lex(value: value)
    }

    private mutating func lex(value: Bool = false) throws(FQLError) -> Token {
        while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
        let start = index
        guard index < scalars.count else { return Token(kind: .end, start: start, end: start) }
        let c = scalars[index]
        let following: Unicode.Scalar? = index + 1 < scalars.count ? scalars[index + 1] : nil
        switch c {
        case "(": return single(.leftParen)
        case ")": return single(.rightParen)
        case ",": return single(.comma)
        case "!": return following == "=" ? double(.symbol("!=")) : single(.bang)
        case "=": return following == "=" ? double(.symbol("==")) : single(.symbol("="))
        case "<": return following == "=" ? double(.symbol("<=")) : single(.symbol("<"))
        case ">": return following == "=" ? double(.symbol(">=")) : single(.symbol(">"))
        case "\"": return try lexString()
        case "+", "-", "0"..."9":
            if value { return try lexNumber() }
            fallthrough
        default:
            if c == "\\" || Self.isNameScalar(c) { return try lexWord() }
            return single(.other)
        }
    }

    private mutating func single(_ kind: Token.Kind) -> Token {
        index += 1
        return Token(kind: kind, start: index - 1, end: index)
    }

    private mutating func double(_ kind: Token.Kind) -> Token {
        index += 2
        return Token(kind: kind, start: index - 2, end: index)
    }

    /// `string = '"', { any character but '"' and "\" | '\"' | "\\" }, '"'`.
    private mutating func lexString() throws(FQLError) -> Token {
        let start = index
        index += 1
        var value = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            if c == "\"" {
                index += 1
                return Token(kind: .string(String(value)), start: start, end: index)
            }
            if c == "\\" {
                guard index + 1 < scalars.count else { break }
                let escaped = scalars[index + 1]
                guard escaped == "\"" || escaped == "\\" else {
                    throw FQLError(
                        message: "Expected \\\" or \\\\ after \"\\\" in a string at character \(index + 2), found \"\(escaped)\"",
                        position: index + 2
                    )
                }
                value.append(escaped)
                index += 2
                continue
            }
            value.append(c)
            index += 1
        }
        throw FQLError(
            message: "Expected a closing \" at character \(scalars.count + 1) for the string that starts at character \(start + 1), "
                + "found the end of the trigger",
            position: scalars.count + 1
        )
    }

    /// `number = ["+" | "-"], digits, [".", digits], [("e" | "E"), ["+" | "-"], digits]`.
    private mutating func lexNumber() throws(FQLError) -> Token {
        let start = index
        if scalars[index] == "+" || scalars[index] == "-" { index += 1 }
        try digits(after: index > start ? "after \"\(scalars[start])\"" : "")
        if index < scalars.count, scalars[index] == "." {
            index += 1
            try digits(after: "after \".\"")
        }
        if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
            index += 1
            if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" { index += 1 }
            try digits(after: "in the exponent")
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[start..<index])
        let text = String(view)
        guard let value = Double(text), value.isFinite else {
            throw FQLError(
                message: "Expected a number between -1.7976931348623157e308 and 1.7976931348623157e308 at character \(start + 1), "
                    + "found \"\(text.prefix(32))\"",
                position: start + 1
            )
        }
        return Token(kind: .number(value), start: start, end: index)
    }

    private mutating func digits(after context: String) throws(FQLError) {
        let start = index
        while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 }
        guard index == start else { return }
        let found = index < scalars.count ? "\"\(scalars[index])\"" : "the end of the trigger"
        throw FQLError(
            message: "Expected a digit \(context.isEmpty ? "" : context + " ")at character \(index + 1), found \(found)",
            position: index + 1
        )
    }

    /// `name = segment, { ".", segment }`, `segment = { letter | digit | "_" | "-" | "\", any character }-`.
    private mutating func lexWord() throws(FQLError) -> Token {
        let start = index
        var segments: [String] = []
        var dots: [Int] = []
        var current = String.UnicodeScalarView()
        while index < scalars.count {
            let c = scalars[index]
            if c == "\\" {
                guard index + 1 < scalars.count else {
                    throw FQLError(
                        message: "Expected a character after \"\\\" at character \(index + 2), found the end of the trigger",
                        position: index + 2
                    )
                }
                current.append(scalars[index + 1])
                index += 2
            } else if Self.isNameScalar(c) {
                current.append(c)
                index += 1
            } else if c == "." {
                segments.append(String(current))
                current = String.UnicodeScalarView()
                dots.append(index)
                index += 1
                guard index < scalars.count, scalars[index] == "\\" || Self.isNameScalar(scalars[index]) else {
                    let found = index < scalars.count ? "\"\(scalars[index])\"" : "the end of the trigger"
                    throw FQLError(
                        message: "Expected a field name after \".\" at character \(index + 1), found \(found)",
                        position: index + 1
                    )
                }
            } else {
                break
            }
        }
        segments.append(String(current))
        return Token(kind: .word(segments, dots: dots), start: start, end: index)
    }

    /// Letters and digits (in any script), `_` and `-`: the characters a field name may hold unescaped.
    static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": return true
        default: return !c.isASCII && (c.properties.isAlphabetic || c.properties.numericType != nil)
        }
    }
}
