import Testing

@testable import SluiceCore

/// Objects as the parser builds them: every member kept, nested objects apart, a repeated key refused at its place.
@Suite struct JSONParserTests {
    @Test func objectsKeepEveryMemberAndNestedOnesStayApart() throws {
        let value = try JSONValue.parse(#"{"a":{"x":1,"y":{"x":2}},"x":3,"b":{},"c":[{"x":4},{"x":5}],"d":"e"}"#)
        #expect(
            value
                == [
                    "a": ["x": 1, "y": ["x": 2]], "x": 3, "b": [:], "c": [["x": 4], ["x": 5]], "d": "e",
                ])
        // Forty members, as a catalog entry's settings have
        let wide = "{" + (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        let object = try #require(try JSONValue.parse(wide).objectValue)
        #expect(object.count == 40)
        #expect(object["k39"] == 39)
    }

    @Test func aRepeatedKeyIsRefusedAtItsOffsetOrKeptLastAsJavaScriptDoes() throws {
        let text = #"{"a":1,"b":{"c":2,"c":3},"d":4}"#
        #expect(throws: JSONParseError(reason: #"Duplicate key "c""#, offset: 18)) { try JSONValue.parse(text) }
        #expect(try JSONValue.parseAsJavaScript(text) == ["a": 1, "b": ["c": 3], "d": 4])
        // The same key in different objects is no repeat
        #expect(try JSONValue.parse(#"{"c":{"c":{"c":1}}}"#) == ["c": ["c": ["c": 1]]])
        // A document that ends inside an object is refused, whatever members it read
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"a":{"b":1,"#) }
    }

    /// The router's parse: only the named members of a top-level object are built, the rest stepped over.
    @Test func aParseForSomeMembersBuildsThoseAndStepsOverTheRest() throws {
        let text = #"{"a":{"x":"}]\"{[","y":[1,{"z":"]"}]},"type":"track","n":-1.5e3,"t":true,"s":"\\\"","event":"E","k":null}"#
        let whole = try #require(try JSONValue.parse(text).objectValue)
        for names in [["type"], ["type", "event"], ["a", "k", "t"], ["n", "s"], [], ["missing"], Array(whole.keys)] {
            let parsed = try JSONValue.parse(Array(text.utf8), members: JSONMemberNames(names))
            #expect(parsed == .object(whole.filter { names.contains($0.key) }), "\(names)")
        }
        // Whitespace anywhere JSON allows it, and an escaped key, which is compared decoded
        let spaced = " {\n \"t\\u0079pe\" : \"track\" , \"n\" : 12 ,\"o\":{ } } "
        #expect(try JSONValue.parse(Array(spaced.utf8), members: JSONMemberNames(["type"])) == ["type": "track"])
        #expect(try JSONValue.parse(Array(spaced.utf8), members: JSONMemberNames(["n", "o"])) == ["n": 12, "o": [:]])
        // A document that is not an object is parsed whole; an empty object is an empty object
        #expect(try JSONValue.parse(Array("[1,2]".utf8), members: JSONMemberNames(["type"])) == [1, 2])
        #expect(try JSONValue.parse(Array("{}".utf8), members: JSONMemberNames(["type"])) == [:])
    }

    @Test func aParseForSomeMembersRefusesWhatItCanSee() {
        let names = JSONMemberNames(["type"])
        // A named member repeated, a named member's value that is not JSON, a document cut short inside a skipped
        // value or string, and data after the object
        for bad in [
            #"{"type":"a","type":"b"}"#, #"{"type":tru}"#, #"{"a":{"b":[1,2}"#, #"{"a":"b"#, #"{"a":1"#, #"{"a":1} x"#,
            #"{"a" 1}"#, #"{a:1}"#, #"{"a":1,}"#, #"{"a\"b"#,
        ] {
            #expect(throws: JSONParseError.self, "\(bad)") { try JSONValue.parse(Array(bad.utf8), members: names) }
        }
    }

    /// Text in any script is read as it was sent; bytes that are not UTF-8 inside a string are refused at that string,
    /// whether the rest of the document is UTF-8 or not (a document is checked whole first, its strings only when that
    /// fails).
    @Test func stringsAreUTF8AndBytesThatAreNotAreRefusedAtTheirString() throws {
        func bytes(_ parts: [UInt8]...) -> [UInt8] { parts.flatMap { $0 } }
        let quote = Array(#"""#.utf8)
        let good = bytes(
            Array(#"{"a":"caf"#.utf8), [0xC3, 0xA9], Array(#"","b":[""#.utf8), [0xE2, 0x82, 0xAC], Array(#"\n",{"c":""#.utf8),
            [0xF0, 0x9F, 0x99, 0x82], quote, Array("}]}".utf8))
        #expect(try JSONValue.parse(good) == ["a": "café", "b": ["€\n", ["c": "🙂"]]])
        #expect(try JSONValue.parse(good, members: JSONMemberNames(["a"])) == ["a": "café"])

        // Cut short, a lone continuation byte, an overlong `/`, a UTF-16 surrogate encoded, past U+10FFFF, 0xFF
        for wrong: [UInt8] in [[0xE2, 0x82], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xFF]] {
            for escaped in [false, true] {
                // {"a":"ok","b":"x<wrong>y"}, the string with an escape before the bytes or not
                let prefix = Array(#"{"a":"ok","b":"x"#.utf8) + (escaped ? Array(#"\t"#.utf8) : [])
                let document = bytes(prefix, wrong, Array(#"y"}"#.utf8))
                // at the string's closing quote
                let end = prefix.count + wrong.count + 1
                #expect(throws: JSONParseError(reason: "Invalid UTF-8 in string", offset: end), "\(wrong)") {
                    try JSONValue.parse(document)
                }
                #expect(throws: JSONParseError.self, "\(wrong)") { try JSONValue.parse(document, members: JSONMemberNames(["b"])) }
            }
        }
    }
}
