import Foundation

extension FilterQuery {
    /// A compiled glob pattern for FQL's `match(s, pattern)`: it must match the whole string, case-sensitively.
    ///
    /// - `*` matches any run of characters (none included), `?` exactly one character;
    /// - `[abc]` one of the listed characters, `[a-z]` one in the range, `[^a-z]` or `[!a-z]` one outside;
    /// - `\x` the character `x` itself (`\*`, `\?`, `\[`, `\]`, `\\`).
    ///
    /// A `[` without its `]`, and a `\` at the very end, stand for themselves. Characters are Unicode scalars.
    /// Matching keeps only the last `*` to return to, so it takes at most (string length × pattern length) steps,
    /// never an exponential number.
    struct Glob: Sendable {
        enum Token: Sendable {
            case scalar(Unicode.Scalar)
            case any
            case star
            case set(ranges: [ClosedRange<UInt32>], negated: Bool)
        }

        let tokens: [Token]

        init(_ pattern: String) {
            let scalars = Array(pattern.unicodeScalars)
            var tokens: [Token] = []
            var i = 0
            while i < scalars.count {
                let c = scalars[i]
                switch c {
                case "*":
                    if case .star = tokens.last {} else { tokens.append(.star) }
                    i += 1
                case "?":
                    tokens.append(.any)
                    i += 1
                case "\\" where i + 1 < scalars.count:
                    tokens.append(.scalar(scalars[i + 1]))
                    i += 2
                case "[":
                    if let (set, next) = Self.parseSet(scalars, from: i + 1) {
                        tokens.append(set)
                        i = next
                    } else {
                        tokens.append(.scalar(c))
                        i += 1
                    }
                default:
                    tokens.append(.scalar(c))
                    i += 1
                }
            }
            self.tokens = tokens
        }

        /// Reads a set after its `[`: returns the token and the index after its `]`, or `nil` when it is not closed.
        private static func parseSet(_ scalars: [Unicode.Scalar], from start: Int) -> (Token, Int)? {
            var i = start
            var negated = false
            if i < scalars.count, scalars[i] == "^" || scalars[i] == "!" {
                negated = true
                i += 1
            }
            var ranges: [ClosedRange<UInt32>] = []
            var first = true
            while i < scalars.count {
                var c = scalars[i]
                if c == "]", !first { return (.set(ranges: ranges, negated: negated), i + 1) }
                first = false
                if c == "\\", i + 1 < scalars.count {
                    i += 1
                    c = scalars[i]
                }
                i += 1
                var upper = c
                if i + 1 < scalars.count, scalars[i] == "-", scalars[i + 1] != "]" {
                    upper = scalars[i + 1]
                    i += 2
                    if upper == "\\", i < scalars.count {
                        upper = scalars[i]
                        i += 1
                    }
                }
                if c.value <= upper.value { ranges.append(c.value...upper.value) }
            }
            return nil
        }

        /// Whether the pattern matches all of `s`.
        func matches(_ s: String) -> Bool {
            let view = s.unicodeScalars
            var p = 0
            var si = view.startIndex
            var starP = -1
            var starS = si
            while si != view.endIndex {
                if p < tokens.count {
                    switch tokens[p] {
                    case .star:
                        starP = p
                        starS = si
                        p += 1
                        continue
                    case .any:
                        p += 1
                        si = view.index(after: si)
                        continue
                    case .scalar(let c):
                        if view[si] == c {
                            p += 1
                            si = view.index(after: si)
                            continue
                        }
                    case .set(let ranges, let negated):
                        let value = view[si].value
                        if ranges.contains(where: { $0.contains(value) }) != negated {
                            p += 1
                            si = view.index(after: si)
                            continue
                        }
                    }
                }
                guard starP >= 0 else { return false }
                p = starP + 1
                starS = view.index(after: starS)
                si = starS
            }
            while p < tokens.count, case .star = tokens[p] { p += 1 }
            return p == tokens.count
        }
    }
}
