import SluiceCore
import Testing

@Suite struct DestinationFilterActionTests {
    // MARK: - Each action type reads from its JSON form and writes back the same JSON

    @Test func roundTrips() throws {
        let cases: [(JSONValue, DestinationFilterAction)] = [
            (["type": "DROP"], .drop),
            (["type": "SAMPLE", "percent": 0.25], .sample(percent: 0.25, path: nil)),
            (["type": "SAMPLE", "percent": 1, "path": "userId"], .sample(percent: 1, path: "userId")),
            (["type": "SAMPLE", "percent": 0], .sample(percent: 0, path: nil)),
            (
                ["type": "DROP_PROPERTIES", "fields": ["properties": ["email"], "": ["anonymousId"]]],
                .dropProperties(fields: ["properties": ["email"], "": ["anonymousId"]])
            ),
            (
                ["type": "ALLOW_PROPERTIES", "fields": ["traits": ["name", "plan"], "context": []]],
                .allowProperties(fields: ["traits": ["name", "plan"], "context": []])
            ),
        ]
        for (json, action) in cases {
            #expect(try DestinationFilterAction(json: json, index: 0) == action)
            #expect(action.json == json)
        }
    }

    // MARK: - A key set to null counts as absent

    @Test func nullKeys() throws {
        #expect(try DestinationFilterAction(json: ["type": "DROP", "percent": nil, "fields": nil], index: 0) == .drop)
        #expect(try DestinationFilterAction(json: ["type": "SAMPLE", "percent": 0.5, "path": nil], index: 0) == .sample(percent: 0.5, path: nil))
    }

    // MARK: - Invalid actions are a 422 naming the field

    @Test(
        arguments: [
            (JSONValue.string("DROP"), "actions[1]"),
            (["percent": 1], "actions[1].type"),
            (["type": "KEEP"], "actions[1].type"),
            (["type": 1], "actions[1].type"),
            (["type": "drop"], "actions[1].type"),
            (["type": "SAMPLE"], "actions[1].percent"),
            (["type": "SAMPLE", "percent": "0.5"], "actions[1].percent"),
            (["type": "SAMPLE", "percent": 1.5], "actions[1].percent"),
            (["type": "SAMPLE", "percent": -0.1], "actions[1].percent"),
            (["type": "SAMPLE", "percent": 0.5, "path": 3], "actions[1].path"),
            (["type": "SAMPLE", "percent": 0.5, "fields": [:]], "actions[1].fields"),
            (["type": "DROP", "percent": 0.5], "actions[1].percent"),
            (["type": "DROP", "extra": true], "actions[1].extra"),
            (["type": "DROP_PROPERTIES"], "actions[1].fields"),
            (["type": "DROP_PROPERTIES", "fields": ["email"]], "actions[1].fields"),
            (["type": "DROP_PROPERTIES", "fields": ["userId": ["x"]]], "actions[1].fields.userId"),
            (["type": "ALLOW_PROPERTIES", "fields": ["properties": "email"]], "actions[1].fields.properties"),
            (["type": "ALLOW_PROPERTIES", "fields": ["properties": ["email", 2]]], "actions[1].fields.properties[1]"),
            (["type": "ALLOW_PROPERTIES", "fields": ["traits": []], "percent": 1], "actions[1].percent"),
            (["type": "ALLOW_PROPERTIES", "fields": ["traits": []], "path": "userId"], "actions[1].path"),
        ] as [(JSONValue, String)])
    func invalid(_ json: JSONValue, _ field: String) {
        do {
            _ = try DestinationFilterAction(json: json, index: 1)
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.field == field)
            #expect(error.kind == .validation)
            #expect(error.message.hasPrefix(field))
        }
    }
}
