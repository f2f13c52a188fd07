import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

/// Destination filters through HTTP: the six operations, their errors, the limit and the audit trail.
@Suite struct FiltersTests {
    /// A source, an Amplitude destination on it, and the filters path of that destination.
    static func setUp(_ client: any TestClientProtocol) async throws -> (sourceID: String, destinationID: String, path: String) {
        let sourceID = try await client.createSource()
        let destinationID = try await client.createAmplitude(sourceID: sourceID)
        return (sourceID, destinationID, "/destination/\(destinationID)/filters")
    }

    static func body(_ sourceID: String, title: String = "drop tests", condition: String = #"event = "Test""#) -> JSONValue {
        ["sourceId": .string(sourceID), "if": .string(condition), "actions": [["type": "DROP"]], "title": .string(title), "enabled": true]
    }

    @Test func createGetListUpdateDelete() async throws {
        try await TestHarness.withApp { client, store in
            let (sourceID, destinationID, path) = try await Self.setUp(client)
            // Create
            var body = Self.body(sourceID)
            if case .object(var o) = body {
                o["description"] = "keeps test traffic out"
                o["actions"] = [
                    ["type": "SAMPLE", "percent": 0.25, "path": "userId"], ["type": "DROP_PROPERTIES", "fields": ["properties": ["email"]]],
                ]
                body = .object(o)
            }
            let created = try await client.api(.post, path, json: body)
            #expect(created.status == .ok, "\(created.text)")
            let filter = try #require(created.data["filter"])
            let id = try #require(filter["id"]?.stringValue)
            #expect(filter["sourceId"]?.stringValue == sourceID)
            #expect(filter["destinationId"]?.stringValue == destinationID)
            #expect(filter["if"] == #"event = "Test""#)
            #expect(filter["title"] == "drop tests")
            #expect(filter["description"] == "keeps test traffic out")
            #expect(filter["enabled"] == true)
            #expect(
                filter["actions"] == [
                    ["type": "SAMPLE", "percent": 0.25, "path": "userId"], ["type": "DROP_PROPERTIES", "fields": ["properties": ["email"]]],
                ])
            #expect(filter["createdAt"]?.stringValue?.hasSuffix("Z") == true)
            // Get and list answer the same filter
            let got = try await client.api(.get, "\(path)/\(id)")
            #expect(got.data["filter"] == filter)
            let listed = try await client.api(.get, path)
            #expect(listed.status == .ok)
            #expect(listed.data["filters"] == [filter])
            #expect(listed.data["pagination"]?["totalEntries"] == 1)
            #expect(try await client.api(.get, "\(path)?pagination.count=1").data["filters"] == [filter])
            // Update: the fields given change, description null removes it
            let updated = try await client.api(.patch, "\(path)/\(id)", json: ["enabled": false, "title": "renamed", "description": nil])
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(updated.data["filter"]?["enabled"] == false)
            #expect(updated.data["filter"]?["title"] == "renamed")
            #expect(updated.data["filter"]?["description"] == nil)
            #expect(updated.data["filter"]?["if"] == filter["if"])
            // Delete
            let deleted = try await client.api(.delete, "\(path)/\(id)")
            #expect(deleted.status == .ok)
            #expect(deleted.data["status"] == "SUCCESS")
            expectError(try await client.api(.get, "\(path)/\(id)"), .notFound)
            #expect(try await client.api(.get, path).data["filters"] == [])
            // The audit trail has the three events
            let audit = try await store.listAuditEvents(filter: AuditFilter(resourceID: id), page: PageRequest(count: 10)).items
            #expect(Set(audit.map(\.type)) == [AuditEventType.filterCreated, AuditEventType.filterModified, AuditEventType.filterDeleted])
        }
    }

    @Test func badInputIsRefusedAndStoresNothing() async throws {
        try await TestHarness.withApp { client, _ in
            let (sourceID, _, path) = try await Self.setUp(client)
            func refused(
                _ change: (inout [String: JSONValue]) -> Void, field: String, _ status: HTTPResponse.Status = .unprocessableContent
            ) async throws {
                guard case .object(var o) = Self.body(sourceID) else { return }
                change(&o)
                expectError(try await client.api(.post, path, json: .object(o)), status, field: field)
            }
            try await refused({ $0["if"] = "event = " }, field: "if")
            try await refused({ $0["if"] = 12 }, field: "if")
            try await refused({ $0.removeValue(forKey: "if") }, field: "if")
            try await refused({ $0["actions"] = [] }, field: "actions")
            try await refused({ $0["actions"] = "DROP" }, field: "actions")
            try await refused({ $0["actions"] = [["type": "EXPLODE"]] }, field: "actions[0].type")
            try await refused({ $0["actions"] = [["type": "DROP"], ["type": "SAMPLE", "percent": 1.5]] }, field: "actions[1].percent")
            try await refused({ $0["actions"] = [["type": "SAMPLE"]] }, field: "actions[0].percent")
            try await refused(
                { $0["actions"] = [["type": "DROP_PROPERTIES", "fields": ["properties": "email"]]] }, field: "actions[0].fields.properties")
            try await refused({ $0["title"] = nil }, field: "title")
            try await refused({ $0["enabled"] = "yes" }, field: "enabled")
            try await refused({ $0["sourceId"] = "someOtherSource" }, field: "sourceId")
            expectError(try await client.api(.post, "/destination/nope123/filters", json: Self.body(sourceID)), .notFound)
            expectError(try await client.api(.patch, "\(path)/nope123", json: ["enabled": false]), .notFound)
            expectError(try await client.api(.delete, "\(path)/nope123"), .notFound)
            expectError(
                try await client.api(.patch, "\(path)/nope123", json: ["actions": [["type": "SAMPLE", "percent": -1]]]), .unprocessableContent,
                field: "actions[0].percent")
            // An update's bad values are refused the same way, and change nothing
            let kept = try await client.api(.post, path, json: Self.body(sourceID))
            let id = try #require(kept.data["filter"]?["id"]?.stringValue)
            expectError(try await client.api(.patch, "\(path)/\(id)", json: ["title": nil]), .unprocessableContent, field: "title")
            expectError(try await client.api(.patch, "\(path)/\(id)", json: ["if": "event ="]), .unprocessableContent, field: "if")
            expectError(try await client.api(.patch, "\(path)/\(id)", json: ["enabled": 1]), .unprocessableContent, field: "enabled")
            #expect(try await client.api(.get, "\(path)/\(id)").data["filter"] == kept.data["filter"])
        }
    }

    @Test func atMostTenFiltersADestination() async throws {
        try await TestHarness.withApp { client, _ in
            let (sourceID, _, path) = try await Self.setUp(client)
            for n in 1...10 {
                #expect(try await client.api(.post, path, json: Self.body(sourceID, title: "f\(n)")).status == .ok)
            }
            expectError(try await client.api(.post, path, json: Self.body(sourceID, title: "f11")), .unprocessableContent)
            let listed = try await client.api(.get, path)
            #expect(listed.data["filters"]?.arrayValue?.map { $0["title"]?.stringValue ?? "" } == (1...10).map { "f\($0)" })
        }
    }

    @Test func previewAnswersWhatDeliveryWouldDo() async throws {
        try await TestHarness.withApp { client, _ in
            let payload: JSONValue = ["type": "track", "event": "Signed Up", "properties": ["email": "a@example.com", "plan": "pro"]]
            // Dropped: result null
            let dropped = try await client.api(
                .post, "/destination/filters/preview",
                json: ["filter": ["if": #"event = "Signed Up""#, "actions": [["type": "DROP"]]], "payload": payload])
            #expect(dropped.status == .ok, "\(dropped.text)")
            #expect(dropped.data["inputPayload"] == payload)
            #expect(dropped.data["result"] == .null)
            // Properties removed
            let stripped = try await client.api(
                .post, "/destination/filters/preview",
                json: ["filter": ["if": "all", "actions": [["type": "DROP_PROPERTIES", "fields": ["properties": ["email"]]]]], "payload": payload])
            #expect(stripped.data["result"] == ["type": "track", "event": "Signed Up", "properties": ["plan": "pro"]])
            // Not matched: unchanged
            let untouched = try await client.api(
                .post, "/destination/filters/preview",
                json: ["filter": ["if": #"event = "Other""#, "actions": [["type": "DROP"]]], "payload": payload])
            #expect(untouched.data["result"] == payload)
            // Errors name the field
            expectError(
                try await client.api(
                    .post, "/destination/filters/preview", json: ["filter": ["if": "(", "actions": [["type": "DROP"]]], "payload": payload]),
                .unprocessableContent, field: "filter.if")
            expectError(
                try await client.api(.post, "/destination/filters/preview", json: ["filter": ["if": "all", "actions": [["type": "DROP"]]]]),
                .unprocessableContent, field: "payload")
        }
    }

    @Test func readOnlyTokensMayPreviewButNotWrite() async throws {
        try await TestHarness.withApp { client, _ in
            let (sourceID, _, path) = try await Self.setUp(client)
            let readOnly = TestHarness.readOnlyToken
            expectError(try await client.api(.post, path, json: Self.body(sourceID), token: readOnly), .forbidden)
            let preview = try await client.api(
                .post, "/destination/filters/preview", json: ["filter": ["if": "all", "actions": [["type": "DROP"]]], "payload": ["type": "track"]],
                token: readOnly)
            #expect(preview.status == .ok, "\(preview.text)")
        }
    }
}
