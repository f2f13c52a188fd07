import Foundation

// Segment's reading of a trigger, step 2: the condition tree that Segment's subscription parser
// (`parseFql` in `@segment/destination-subscriptions`, repository segmentio/action-destinations) builds
// from the lexer's tokens. Its rules, mirrored one for one:
//
// - `ident . ident` runs are joined into one dotted name first (`properties.order.total`);
// - a name whose first segment is `type`, `event`, `name`, `userId`, `properties`, `traits` or `context`
//   takes the next two tokens, whatever they are, as its operator and value; any other name, and any
//   token that starts nothing, is skipped (so `anonymousId = "x"` adds no condition);
// - `= true`, `= false`, `= null`, `!= null`, `= <number>` and `!= <number>` become the typed operators
//   `is_true`, `is_false`, `not_exists`, `exists`, `number_equals` and `number_not_equals`, but only for
//   the roots Segment gives them to (see `typed(_:_:)`);
// - `contains(f, "s")` and `match(f, "s")` apply to `event`, `name`, `userId` and the three object roots;
//   `match` is `starts_with` when the pattern ends in `*` (the pattern less its last character), and
//   `ends_with` otherwise (the pattern less its first character); a leading `!` negates either;
// - `(` collects the tokens up to the first `)` as a group, so a second level of parentheses breaks it;
// - a group's joiner is the last `and` or `or` seen in it (`and` when there is none), and a group of one
//   condition is that condition.
//
// Where Segment's parser throws (a missing token, an unclosed group, nothing to evaluate), the trigger
// is an error and matches no event; where it leaves an empty group inside another, evaluating that member
// throws at run time, which Sluice also counts as no match.

/// A condition of Segment's tree: a group, or one test of one field.
indirect enum SegmentCondition: Sendable, Hashable {
    /// `children` holds `nil` where Segment's parser produced nothing for a parenthesised group.
    case group(joiner: String, children: [SegmentCondition?])
    case test(SegmentTest)
}

extension SegmentCondition {
    /// How many tests the tree holds.
    var testCount: Int {
        switch self {
        case .test: 1
        case .group(_, let children): children.reduce(0) { $0 + ($1?.testCount ?? 0) }
        }
    }

    /// The top-level members of an event that the tree's tests read (`type`, `properties`, ...).
    var eventMembers: Set<String> {
        switch self {
        case .test(let test):
            switch test.subject {
            case .field(let name): [name]
            case .path(let root, _): [root]
            }
        case .group(_, let children): children.reduce(into: []) { $0.formUnion($1?.eventMembers ?? []) }
        }
    }
}

/// One test: which value it reads, Segment's operator name, and its operand.
struct SegmentTest: Sendable, Hashable {
    enum Subject: Sendable, Hashable {
        /// A top-level field of the event: `type`, `event`, `name` or `userId`.
        case field(String)
        /// A path below `properties`, `traits` or `context`, as Segment's `get` reads it.
        case path(root: String, name: String)
    }

    let subject: Subject
    /// Segment's operator: `=`, `!=`, `<`, `number_equals`, `contains`, `starts_with`, `exists`, … or whatever
    /// token stood where the operator should be (which then holds for no value).
    let op: String
    let operand: SegmentOperand?

    // Worked out once: `String(operand)`, `Number(operand)` and the keys of a path.
    let expectedText: [UInt16]
    /// `expectedText` in UTF-8, for `=` and `!=`: equal strings are equal in either form, and the router's event
    /// strings are UTF-8 already.
    let expectedUTF8: [UInt8]
    let expectedNumber: Double
    /// `nil` when Segment's `get` cannot split the path (it then throws); empty for an empty path.
    let keys: [String]?

    init(subject: Subject, op: String, operand: SegmentOperand?) {
        self.subject = subject
        self.op = op
        self.operand = operand
        expectedText = operand?.text ?? Array("undefined".utf16)
        expectedUTF8 = Array(String(decoding: expectedText, as: UTF16.self).utf8)
        expectedNumber = operand?.number ?? .nan
        if case .path(_, let name) = subject, !name.isEmpty {
            let parts = name.split(whereSeparator: { $0 == "." || $0 == "[" || $0 == "]" }).map(String.init)
            keys = parts.isEmpty ? nil : parts
        } else {
            keys = []
        }
    }
}

/// An operand as Segment's parser leaves it: a string, a number or a boolean.
enum SegmentOperand: Sendable, Hashable {
    case string([UInt16])
    case number(Double)
    case bool(Bool)

    /// JavaScript's `String(operand)`.
    var text: [UInt16] {
        switch self {
        case .string(let units): units
        case .number(let n): Array(JavaScript.numberToString(n).utf16)
        case .bool(let b): Array((b ? "true" : "false").utf16)
        }
    }

    /// JavaScript's `Number(operand)`.
    var number: Double {
        switch self {
        case .string(let units): JavaScript.stringToNumber(String(decoding: units, as: UTF16.self))
        case .number(let n): n
        case .bool(let b): b ? 1 : 0
        }
    }
}

/// Segment's parse of a trigger: its condition tree, or `nil` when Segment's parser fails on it.
struct SegmentSubscription: Sendable, Hashable {
    let root: SegmentCondition?

    init(parsing source: String) {
        var tokens = SegmentParser.normalize(SegmentLexer.tokens(source))[...]
        guard let ast = try? SegmentParser.parse(&tokens) else {
            root = nil
            return
        }
        if case .group = ast { root = ast } else { root = .group(joiner: "and", children: [ast]) }
    }
}

/// Segment's parser failed (`parseFql` returns an error condition).
struct SegmentParseError: Error {}

enum SegmentParser {
    /// The roots Segment's parser knows, by the first segment of a dotted name.
    static let roots: Set<String> = ["type", "event", "name", "userId", "context", "properties", "traits"]

    /// Joins `ident . ident` into one identifier, left to right.
    static func normalize(_ tokens: [SegmentToken]) -> [SegmentToken] {
        var result: [SegmentToken] = []
        var index = 0
        while index < tokens.count {
            let current = tokens[index]
            if let last = result.last, last.kind == .ident, current.kind == .dot, index + 1 < tokens.count,
                tokens[index + 1].kind == .ident
            {
                result[result.count - 1] = SegmentToken(kind: .ident, value: last.value + "." + tokens[index + 1].value)
                index += 2
            } else {
                result.append(current)
                index += 1
            }
        }
        return result
    }

    /// `parse` of parse-fql.ts: the conditions of one level; `nil` where Segment's has `undefined` (no condition).
    static func parse(_ tokens: inout ArraySlice<SegmentToken>) throws(SegmentParseError) -> SegmentCondition? {
        var nodes: [SegmentCondition?] = []
        var joiner = "and"
        while let token = tokens.popFirst(), token.kind != .eos {
            if token.kind == .ident {
                let start = String(token.value.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                if roots.contains(start) {
                    guard let op = tokens.popFirst(), let value = tokens.popFirst() else { throw SegmentParseError() }
                    nodes.append(.test(condition(start: start, name: token.value, op: op, value: value)))
                } else if JavaScript.objectPrototype.contains(start) {
                    // Segment looks the root up in an object literal, which also answers its inherited
                    // members: their operator and value are taken, and nothing is added.
                    guard tokens.popFirst() != nil, tokens.popFirst() != nil else { throw SegmentParseError() }
                }
                if isFunction(token) { try function(token.value, into: &nodes, &tokens, negate: false) }
            }
            if token.kind == .operator, token.value == "!" {
                guard let following = tokens.first else { throw SegmentParseError() }
                if isFunction(following) {
                    tokens.removeFirst()
                    try function(following.value, into: &nodes, &tokens, negate: true)
                }
            }
            if token.kind == .parenLeft {
                var group: [SegmentToken] = []
                while true {
                    guard let member = tokens.popFirst() else { throw SegmentParseError() }
                    if member.kind == .parenRight { break }
                    group.append(member)
                }
                group.append(.eos)
                var inner = group[...]
                nodes.append(try parse(&inner))
            }
            if token.kind == .conditional { joiner = token.value }
        }
        return nodes.count > 1 ? .group(joiner: joiner, children: nodes) : (nodes.first ?? nil)
    }

    /// The test for `NAME OP VALUE` whose name starts with one of ``roots``.
    static func condition(start: String, name: String, op: SegmentToken, value: SegmentToken) -> SegmentTest {
        let subject: SegmentTest.Subject
        switch start {
        case "type", "event", "name", "userId": subject = .field(start)
        default: subject = .path(root: start, name: stripPrefix(start, from: name))
        }
        if let typed = typed(start: start, op: op, value: value) {
            return SegmentTest(subject: subject, op: typed, operand: typed.hasPrefix("number_") ? operand(value) : nil)
        }
        switch start {
        case "type", "event", "name", "userId":
            return SegmentTest(subject: subject, op: op.value, operand: .string(operand(value).text))
        default:
            return SegmentTest(subject: subject, op: op.value, operand: operand(value))
        }
    }

    /// The typed operator Segment's parser substitutes, for the roots that have each.
    static func typed(start: String, op: SegmentToken, value: SegmentToken) -> String? {
        let equals = op.value == "="
        let notEquals = op.value == "!="
        let existence: String? = notEquals && value.value == "null" ? "exists" : equals && value.value == "null" ? "not_exists" : nil
        let boolean: String? = equals && value.value == "true" ? "is_true" : equals && value.value == "false" ? "is_false" : nil
        let number: String? =
            value.kind == .number ? (equals ? "number_equals" : notEquals ? "number_not_equals" : nil) : nil
        switch start {
        case "type", "event": return nil
        case "name": return existence
        case "userId": return existence ?? boolean
        default: return existence ?? boolean ?? number
        }
    }

    /// `getTokenValue`: a string less one leading and one trailing double quote, a number, `true`/`false`, or the token's text.
    static func operand(_ token: SegmentToken) -> SegmentOperand {
        switch token.kind {
        case .string:
            var units = Array(token.value.utf16)
            if units.first == UInt16(UInt8(ascii: "\"")) { units.removeFirst() }
            if units.last == UInt16(UInt8(ascii: "\"")) { units.removeLast() }
            return .string(units)
        case .number:
            return .number(JavaScript.stringToNumber(token.value))
        case .ident where token.value == "true" || token.value == "false":
            return .bool(token.value == "true")
        default:
            return .string(Array(token.value.utf16))
        }
    }

    static func isFunction(_ token: SegmentToken) -> Bool {
        token.kind == .ident && (token.value == "contains" || token.value == "match")
    }

    /// `parseFqlFunction`: `contains(NAME, VALUE)` or `match(NAME, VALUE)`, its punctuation skipped unchecked.
    static func function(
        _ name: String, into nodes: inout [SegmentCondition?], _ tokens: inout ArraySlice<SegmentToken>, negate: Bool
    ) throws(SegmentParseError) {
        _ = tokens.popFirst()
        guard let field = tokens.popFirst() else { throw SegmentParseError() }
        _ = tokens.popFirst()
        guard let value = tokens.popFirst() else { throw SegmentParseError() }
        _ = tokens.popFirst()

        let op: String
        var text = operand(value).text
        if name == "contains" {
            op = negate ? "not_contains" : "contains"
        } else if value.value.hasSuffix("*\"") {
            op = negate ? "not_starts_with" : "starts_with"
            text = Array(text.dropLast())
        } else {
            op = negate ? "not_ends_with" : "ends_with"
            text = Array(text.dropFirst())
        }
        let operand = SegmentOperand.string(text)
        if ["event", "name", "userId"].contains(field.value) {
            nodes.append(.test(SegmentTest(subject: .field(field.value), op: op, operand: operand)))
        }
        for root in ["properties", "traits", "context"] where field.value.hasPrefix(root) {
            let path = stripPrefix(root, from: field.value)
            nodes.append(.test(SegmentTest(subject: .path(root: root, name: path), op: op, operand: operand)))
        }
    }

    /// `name.replace(/^(root)\./, '')`.
    static func stripPrefix(_ root: String, from name: String) -> String {
        name.hasPrefix(root + ".") ? String(name.dropFirst(root.count + 1)) : name
    }
}
