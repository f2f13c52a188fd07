import Foundation

extension FilterQuery.Parser {
    /// Splits a statement into tokens; the last one is always `.end`.
    struct Lexer {
        let scalars: [Unicode.Scalar]
        var index = 0

        init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

        mutating func tokenize() throws(FQLError) -> [Token] {
            var tokens: [Token] = []
            while true {
                while index < scalars.count, Self.isSpace(scalars[index]) { index += 1 }
                guard index < scalars.count else {
                    tokens.append(Token(kind: .end, start: index, text: ""))
                    return tokens
                }
                let start = index
                let c = scalars[index]
                let kind: Kind
                switch c {
                case "'", "\"":
                    kind = .string(try readString(quote: c))
                case "0"..."9":
                    kind = .number(try readNumber())
                case "-" where index + 1 < scalars.count && ("0"..."9").contains(scalars[index + 1]):
                    kind = .number(try readNumber())
                case "a"..."z", "A"..."Z", "_", "\\":
                    kind = try readPath()
                case "!", "=", "<", ">":
                    index += 1
                    if c != "=", index < scalars.count, scalars[index] == "=" { index += 1 }
                    kind = .symbol(text(start))
                case "(", ")", "[", "]", ",":
                    index += 1
                    kind = .symbol(String(c))
                default:
                    index += 1
                    kind = .invalid
                }
                tokens.append(Token(kind: kind, start: start, text: text(start)))
            }
        }

        private func text(_ start: Int) -> String {
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[start..<index])
            return String(s)
        }

        private static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }

        private static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
            switch c {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
            default: false
            }
        }

        /// Reads a quoted string. `\n`, `\t`, `\r`, `\\`, `\'` and `\"` are escapes; a backslash before any other
        /// character is kept with it, so that `'ab\*d'` reaches `match` as the glob `ab\*d`.
        private mutating func readString(quote: Unicode.Scalar) throws(FQLError) -> String {
            let start = index
            index += 1
            var out = String.UnicodeScalarView()
            while index < scalars.count {
                let c = scalars[index]
                index += 1
                if c == quote { return String(out) }
                guard c == "\\" else {
                    out.append(c)
                    continue
                }
                guard index < scalars.count else { break }
                let escaped = scalars[index]
                index += 1
                switch escaped {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "\\", "'", "\"": out.append(escaped)
                default:
                    out.append("\\")
                    out.append(escaped)
                }
            }
            throw FQLError(
                message: "Expected a closing \(quote) at character \(scalars.count + 1) for the string that starts at character "
                    + "\(start + 1), found the end of the filter",
                position: scalars.count + 1)
        }

        private mutating func readNumber() throws(FQLError) -> Double {
            let start = index
            if scalars[index] == "-" { index += 1 }
            try readDigits(after: nil)
            if index < scalars.count, scalars[index] == "." {
                index += 1
                try readDigits(after: ".")
            }
            if index < scalars.count, scalars[index] == "e" || scalars[index] == "E" {
                let e = scalars[index]
                index += 1
                if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" { index += 1 }
                try readDigits(after: String(e))
            }
            let literal = text(start)
            guard let value = Double(literal), value.isFinite else {
                throw FQLError(
                    message: "Expected a number between -1.7976931348623157e308 and 1.7976931348623157e308 at character "
                        + "\(start + 1), found \"\(literal.prefix(32))\"",
                    position: start + 1)
            }
            return value
        }

        private mutating func readDigits(after: String?) throws(FQLError) {
            let start = index
            while index < scalars.count, ("0"..."9").contains(scalars[index]) { index += 1 }
            guard index == start else { return }
            let found = index < scalars.count ? "\"\(scalars[index])\"" : "the end of the filter"
            let context = after.map { " after \"\($0)\"" } ?? ""
            throw FQLError(message: "Expected a digit\(context) at character \(index + 1), found \(found)", position: index + 1)
        }

        /// Reads a dotted field path; `\` escapes any character, including `.` and spaces.
        private mutating func readPath() throws(FQLError) -> Kind {
            var segments: [String] = []
            var escaped = false
            while true {
                var segment = String.UnicodeScalarView()
                while index < scalars.count {
                    let c = scalars[index]
                    if c == "\\" {
                        guard index + 1 < scalars.count else {
                            throw FQLError(
                                message: "Expected a character after \"\\\" at character \(index + 2), found the end of the filter",
                                position: index + 2)
                        }
                        segment.append(scalars[index + 1])
                        escaped = true
                        index += 2
                    } else if Self.isNameCharacter(c) {
                        segment.append(c)
                        index += 1
                    } else {
                        break
                    }
                }
                if segment.isEmpty {
                    let found = index < scalars.count ? "\"\(scalars[index])\"" : "the end of the filter"
                    throw FQLError(
                        message: "Expected a field name after \".\" at character \(index + 1), found \(found)",
                        position: index + 1)
                }
                segments.append(String(segment))
                guard index < scalars.count, scalars[index] == "." else { break }
                index += 1
            }
            return .path(segments, plain: segments.count == 1 && !escaped)
        }
    }
}
