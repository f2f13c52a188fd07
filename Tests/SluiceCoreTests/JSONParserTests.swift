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
}
