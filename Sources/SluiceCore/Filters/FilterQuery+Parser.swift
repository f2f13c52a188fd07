import Foundation

// A recursive-descent parser for the FQL of destination filters (src/api/public-api/fql.md).
//
//     statement  := "all" | or END
//     or         := and ("or" and)*
//     and        := unary ("and" unary)*
//     unary      := "!" unary | comparison
//     comparison := primary (("=" | "!=" | ">" | ">=" | "<" | "<=" | "in") primary)?
//     primary    := STRING | NUMBER | "true" | "false" | "null" | PATH | NAME "(" (or ("," or)*)? ")"
//                 | "(" or ")" | "[" (or ("," or)*)? "]"
//
// Characters are Unicode scalars counted from 1, as in the trigger parser's messages.
extension FilterQuery {
    struct Parser {
        enum Kind: Equatable {
            case string(String)
            case number(Double)
            /// A field path; `plain` when it is one segment without escapes, so possibly a keyword or a function name.
            case path([String], plain: Bool)
            case symbol(String)
            case invalid
            case end
        }

        struct Token {
            var kind: Kind
            /// 0-based index of the first scalar.
            var start: Int
            var text: String
        }

        let isAll: Bool
        private var tokens: [Token] = []
        private var index = 0
        private var depth = 0

        init(source: String) throws(FQLError) {
            let scalars = Array(source.unicodeScalars)
            if scalars.count > FilterQuery.maxLength {
                throw FQLError(
                    message: "Expected the end of the filter at character \(FilterQuery.maxLength + 1): "
                        + "a filter has at most \(FilterQuery.maxLength) characters",
                    position: FilterQuery.maxLength + 1)
            }
            isAll = source.trimmingCharacters(in: .whitespacesAndNewlines) == "all"
            if !isAll {
                var lexer = Lexer(scalars: scalars)
                tokens = try lexer.tokenize()
            }
        }

        /// Parses the whole statement; `nil` stands for `all`.
        mutating func parseStatement() throws(FQLError) -> Node? {
            if isAll { return nil }
            if current.kind == .end { throw expected("a condition or \"all\"") }
            let node = try parseOr()
            guard current.kind == .end else { throw expected("an operator or the end of the filter") }
            return node
        }

        // MARK: - Grammar

        private var current: Token { tokens[index] }

        private func isWord(_ word: String) -> Bool {
            if case .path(let segments, true) = current.kind { return segments[0] == word }
            return false
        }

        private func isSymbol(_ symbol: String) -> Bool { current.kind == .symbol(symbol) }

        private mutating func parseOr() throws(FQLError) -> Node {
            var nodes = [try parseAnd()]
            while isWord("or") {
                index += 1
                nodes.append(try parseAnd())
            }
            return nodes.count == 1 ? nodes[0] : .or(nodes)
        }

        private mutating func parseAnd() throws(FQLError) -> Node {
            var nodes = [try parseUnary()]
            while isWord("and") {
                index += 1
                nodes.append(try parseUnary())
            }
            return nodes.count == 1 ? nodes[0] : .and(nodes)
        }

        private mutating func parseUnary() throws(FQLError) -> Node {
            guard isSymbol("!") else { return try parseComparison() }
            try enter()
            index += 1
            let operand = try parseUnary()
            depth -= 1
            return .not(operand)
        }

        private mutating func parseComparison() throws(FQLError) -> Node {
            let lhs = try parsePrimary(what: "a value")
            if case .symbol(let symbol) = current.kind, let op = Comparison(rawValue: symbol) {
                index += 1
                return .compare(op, lhs, try parsePrimary(what: "a value after \"\(symbol)\""))
            }
            if isWord("in") {
                index += 1
                return .inList(lhs, try parsePrimary(what: "a list after \"in\""))
            }
            return lhs
        }

        private mutating func parsePrimary(what: String) throws(FQLError) -> Node {
            let token = current
            switch token.kind {
            case .string(let s):
                index += 1
                return .literal(.string(s))
            case .number(let n):
                index += 1
                return .literal(.number(n))
            case .path(let segments, let plain):
                if plain {
                    switch segments[0] {
                    case "true": index += 1; return .literal(.bool(true))
                    case "false": index += 1; return .literal(.bool(false))
                    case "null": index += 1; return .literal(.null)
                    case "and", "or", "in": throw expected(what)
                    default:
                        if tokens[index + 1].kind == .symbol("(") { return try parseCall(name: segments[0]) }
                    }
                }
                index += 1
                return .path(segments)
            case .symbol("("):
                try enter()
                index += 1
                let node = try parseOr()
                guard isSymbol(")") else { throw expected("\")\" to close the \"(\" at character \(token.start + 1)") }
                index += 1
                depth -= 1
                return node
            case .symbol("["):
                try enter()
                index += 1
                let elements = try parseList(closing: "]", opener: token)
                depth -= 1
                var values: [JSONValue] = []
                for element in elements {
                    guard case .literal(let value) = element else { return .list(elements) }
                    values.append(value)
                }
                return .literal(.array(values))
            default:
                throw expected(what)
            }
        }

        private mutating func parseCall(name: String) throws(FQLError) -> Node {
            let nameToken = current
            guard let function = Function(rawValue: name) else {
                let names = Function.allCases.map(\.rawValue).joined(separator: ", ")
                throw expected("a function (\(names))")
            }
            index += 1
            let opener = current
            try enter()
            index += 1
            let arguments = try parseList(closing: ")", opener: opener)
            depth -= 1
            guard arguments.count == function.arity else {
                let plural = function.arity == 1 ? "argument" : "arguments"
                throw FQLError(
                    message: "Expected \(function.arity) \(plural) for \(name) at character \(nameToken.start + 1), "
                        + "found \(arguments.count)",
                    position: nameToken.start + 1)
            }
            if function == .match, case .literal(.string(let pattern)) = arguments[1] {
                return .matchGlob(arguments[0], Glob(pattern))
            }
            return .call(function, arguments[0], arguments.count > 1 ? arguments[1] : nil)
        }

        /// Parses comma-separated expressions up to `closing`; the opening bracket has been read.
        private mutating func parseList(closing: String, opener: Token) throws(FQLError) -> [Node] {
            var nodes: [Node] = []
            if isSymbol(closing) {
                index += 1
                return nodes
            }
            while true {
                nodes.append(try parseOr())
                if isSymbol(",") {
                    index += 1
                } else if isSymbol(closing) {
                    index += 1
                    return nodes
                } else {
                    throw expected("\",\" or \"\(closing)\" to close the \"\(opener.text)\" at character \(opener.start + 1)")
                }
            }
        }

        private mutating func enter() throws(FQLError) {
            depth += 1
            if depth > FilterQuery.maxDepth {
                throw FQLError(
                    message: "Expected at most \(FilterQuery.maxDepth) nested levels at character \(current.start + 1), "
                        + "found another \"\(current.text)\"",
                    position: current.start + 1)
            }
        }

        private func expected(_ what: String) -> FQLError {
            let token = current
            let found: String
            switch token.kind {
            case .end: found = "the end of the filter"
            default: found = "\"\(token.text.count > 32 ? token.text.prefix(32) + "…" : token.text)\""
            }
            return FQLError(message: "Expected \(what) at character \(token.start + 1), found \(found)", position: token.start + 1)
        }
    }
}
