import Foundation

// Segment's reading of a trigger, step 1: the tokens of Segment's FQL lexer (the `lex` function of
// `@segment/fql-ts`, which Segment's subscription parser calls). Sluice's own parser (`FQLParser`) decides
// which triggers are accepted and explains refusals; this lexer only reproduces how Segment's evaluator
// reads an accepted trigger, quirks included, so that evaluation agrees with Segment's (docs/fql.md,
// "How Segment reads a trigger").
//
// The rules mirrored here, character by character (the input is read as UTF-16 code units, as JavaScript
// strings are):
// - white space is only space, tab and line feed; any other character that starts no token is an error;
// - `and`, `or` and `null` are keywords only in lower case and only when followed by white space, `,`,
//   `)`, `]` or the end; `!=`, `<=` and `>=` likewise need such a character after them;
// - a string runs from its quote to the next quote of the same kind, with no escapes, and keeps its
//   quotes in the token's value;
// - a number is an optional sign, digits and at most one decimal point, with no exponent;
// - an identifier is letters, digits, `_`, `-` and backslash escapes, and must be followed by white
//   space, `,`, `)`, `]`, `.`, `(`, `=`, `!` or the end.

/// One token of Segment's FQL lexer: its kind and its text, as `@segment/fql-ts` produces them.
struct SegmentToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case ident, dot, `operator`, conditional, string, number, null
        case brackLeft, brackRight, parenLeft, parenRight, comma, eos
    }

    var kind: Kind
    var value: String

    static let eos = SegmentToken(kind: .eos, value: "eos")
}

/// The lexer failed: Segment's parser then sees no tokens, and the trigger never matches.
struct SegmentLexerError: Error {}

/// A port of `@segment/fql-ts`'s `Lexer`, over UTF-16 code units (`nil` stands for the end of the input).
struct SegmentLexer {
    private let units: [UInt16]
    private var position = 0

    /// The lexer's own bound on one literal, identifier or number.
    private static let maximumLength = 100_000

    init(_ source: String) {
        units = Array(source.utf16)
    }

    /// Segment's tokens for `source`, ending with an end-of-statement token, or `[]` when its lexer fails.
    static func tokens(_ source: String) -> [SegmentToken] {
        var lexer = SegmentLexer(source)
        return (try? lexer.lex()) ?? []
    }

    mutating func lex() throws(SegmentLexerError) -> [SegmentToken] {
        var tokens: [SegmentToken] = []
        while true {
            guard let char = next() else {
                tokens.append(.eos)
                return tokens
            }
            if Self.isWhitespace(char) { continue }
            if char == Self.bang {
                let following = peek()
                if Self.isAlpha(following) || following == Self.parenLeft {
                    tokens.append(SegmentToken(kind: .operator, value: "!"))
                    continue
                }
            }
            if Self.isAlpha(char) || char == Self.bang || char == Self.equals || char == Self.greater || char == Self.less
                || char == Self.backslash || char == Self.underscore
            {
                tokens.append(try lexOperatorOrConditional(char))
                continue
            }
            if Self.isDigit(char) || char == Self.minus || char == Self.plus {
                tokens.append(try lexNumber(char))
                continue
            }
            if char == Self.doubleQuote || char == Self.singleQuote {
                tokens.append(try lexString(char))
                continue
            }
            switch char {
            case Self.dot: tokens.append(SegmentToken(kind: .dot, value: "."))
            case Self.brackLeft: tokens.append(SegmentToken(kind: .brackLeft, value: "["))
            case Self.brackRight: tokens.append(SegmentToken(kind: .brackRight, value: "]"))
            case Self.comma: tokens.append(SegmentToken(kind: .comma, value: ","))
            case Self.parenLeft: tokens.append(SegmentToken(kind: .parenLeft, value: "("))
            case Self.parenRight: tokens.append(SegmentToken(kind: .parenRight, value: ")"))
            default: throw SegmentLexerError()
            }
        }
    }

    private mutating func lexString(_ quote: UInt16) throws(SegmentLexerError) -> SegmentToken {
        var text: [UInt16] = [quote]
        while peek() != quote {
            guard let char = next() else { throw SegmentLexerError() }
            text.append(char)
            if text.count - 1 >= Self.maximumLength { throw SegmentLexerError() }
        }
        // fql-ts "eats" the closing quote with `accept`, which gives it back unless a terminator follows;
        // the quote then opens the next string.
        _ = accept([quote])
        text.append(quote)
        return SegmentToken(kind: .string, value: String(decoding: text, as: UTF16.self))
    }

    private mutating func lexNumber(_ first: UInt16) throws(SegmentLexerError) -> SegmentToken {
        var text: [UInt16] = [first]
        var comingUp = peek()
        var isDecimal = false
        while Self.isDigit(comingUp) || comingUp == Self.dot {
            guard let char = next() else { break }
            text.append(char)
            if comingUp == Self.dot {
                if Self.isTerminator(peek()) || isDecimal { throw SegmentLexerError() }
                isDecimal = true
            }
            if text.count - 1 >= Self.maximumLength { throw SegmentLexerError() }
            comingUp = peek()
        }
        return SegmentToken(kind: .number, value: String(decoding: text, as: UTF16.self))
    }

    private mutating func lexOperatorOrConditional(_ first: UInt16) throws(SegmentLexerError) -> SegmentToken {
        switch first {
        case Self.equals:
            return SegmentToken(kind: .operator, value: "=")
        case Self.bang:
            guard accept(Array("=".utf16)) else { throw SegmentLexerError() }
            return SegmentToken(kind: .operator, value: "!=")
        case UInt16(UInt8(ascii: "a")):
            return accept(Array("nd".utf16)) ? SegmentToken(kind: .conditional, value: "and") : try lexIdent(first)
        case UInt16(UInt8(ascii: "o")):
            return accept(Array("r".utf16)) ? SegmentToken(kind: .conditional, value: "or") : try lexIdent(first)
        case UInt16(UInt8(ascii: "n")):
            return accept(Array("ull".utf16)) ? SegmentToken(kind: .null, value: "null") : try lexIdent(first)
        case Self.less, Self.greater:
            let symbol = first == Self.less ? "<" : ">"
            return SegmentToken(kind: .operator, value: accept(Array("=".utf16)) ? symbol + "=" : symbol)
        default:
            return try lexIdent(first)
        }
    }

    private mutating func lexIdent(_ first: UInt16) throws(SegmentLexerError) -> SegmentToken {
        var text: [UInt16] = []
        var char = first
        while true {
            if char == Self.backslash {
                guard let escaped = next() else { throw SegmentLexerError() }
                char = escaped
            }
            text.append(char)
            if text.count >= Self.maximumLength { throw SegmentLexerError() }
            guard Self.isIdent(peek()), let following = next() else { break }
            char = following
        }
        let comingUp = peek()
        guard
            Self.isTerminator(comingUp) || comingUp == Self.dot || comingUp == Self.parenLeft || comingUp == Self.equals
                || comingUp == Self.bang
        else { throw SegmentLexerError() }
        return SegmentToken(kind: .ident, value: String(decoding: text, as: UTF16.self))
    }

    /// fql-ts's `accept`: consumes `expected` when it is next and followed by a terminator; otherwise gives the
    /// characters back, except when the input ends first (fql-ts then returns without giving them back).
    private mutating func accept(_ expected: [UInt16]) -> Bool {
        var read: [UInt16] = []
        for _ in expected {
            guard let char = next() else { return false }
            read.append(char)
            if Self.isTerminator(char) { break }
        }
        if read == expected, Self.isTerminator(peek()) { return true }
        position -= read.count
        return false
    }

    private mutating func next() -> UInt16? {
        guard position < units.count else { return nil }
        defer { position += 1 }
        return units[position]
    }

    private func peek() -> UInt16? {
        position < units.count ? units[position] : nil
    }

    // Character classes of fql-ts (`strings.ts`).

    static func isWhitespace(_ c: UInt16?) -> Bool { c == space || c == tab || c == lineFeed }
    static func isAlpha(_ c: UInt16?) -> Bool {
        guard let c else { return false }
        return (UInt16(UInt8(ascii: "a"))...UInt16(UInt8(ascii: "z"))).contains(c)
            || (UInt16(UInt8(ascii: "A"))...UInt16(UInt8(ascii: "Z"))).contains(c)
    }
    static func isDigit(_ c: UInt16?) -> Bool {
        guard let c else { return false }
        return (UInt16(UInt8(ascii: "0"))...UInt16(UInt8(ascii: "9"))).contains(c)
    }
    static func isIdent(_ c: UInt16?) -> Bool {
        c != nil && (isAlpha(c) || isDigit(c) || c == underscore || c == minus || c == backslash)
    }
    static func isTerminator(_ c: UInt16?) -> Bool {
        c == nil || isWhitespace(c) || c == comma || c == brackRight || c == parenRight
    }

    private static let space = UInt16(UInt8(ascii: " "))
    private static let tab = UInt16(UInt8(ascii: "\t"))
    private static let lineFeed = UInt16(UInt8(ascii: "\n"))
    private static let bang = UInt16(UInt8(ascii: "!"))
    private static let equals = UInt16(UInt8(ascii: "="))
    private static let less = UInt16(UInt8(ascii: "<"))
    private static let greater = UInt16(UInt8(ascii: ">"))
    private static let backslash = UInt16(UInt8(ascii: "\\"))
    private static let underscore = UInt16(UInt8(ascii: "_"))
    private static let minus = UInt16(UInt8(ascii: "-"))
    private static let plus = UInt16(UInt8(ascii: "+"))
    private static let doubleQuote = UInt16(UInt8(ascii: "\""))
    private static let singleQuote = UInt16(UInt8(ascii: "'"))
    private static let dot = UInt16(UInt8(ascii: "."))
    private static let brackLeft = UInt16(UInt8(ascii: "["))
    private static let brackRight = UInt16(UInt8(ascii: "]"))
    private static let comma = UInt16(UInt8(ascii: ","))
    private static let parenLeft = UInt16(UInt8(ascii: "("))
    private static let parenRight = UInt16(UInt8(ascii: ")"))
}
