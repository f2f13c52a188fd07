import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

@Suite struct ErrorStatusTests {
    @Test func unknownRouteIs404() async throws {
        try await TestHarness.withApp { client, _ in
            expectError(try await client.api(.get, "/no/such/route"), .notFound, type: "NotFound")
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await TestHarness.withApp { client, _ in
            let response = try await client.api(.put, "/destinations", json: [:])
            expectError(response, .methodNotAllowed, type: "MethodNotAllowed")
            #expect(response.headers[.allow]?.contains("POST") == true)
            #expect(response.headers[.allow]?.contains("GET") == true)
            // Also on a path with an id in it
            let withID = try await client.api(.delete, "/destinations/abc/delivery-metrics")
            expectError(withID, .methodNotAllowed, type: "MethodNotAllowed")
            #expect(withID.headers[.allow] == "GET")
        }
    }

    @Test(arguments: ["{", "not json", "{\"a\":1,}", "\u{FF}", "{\"a\":\"\\ud800\"}", "[1] 2"])
    func malformedJSONIs400(body: String) async throws {
        try await TestHarness.withApp { client, store in
            expectError(try await client.api(.post, "/sources", rawBody: body), .badRequest, type: "BadRequest")
            #expect(try await store.listSources(page: PageRequest(count: 10)).totalEntries == 0)
        }
    }

    @Test(arguments: ["[]", "1", "\"text\"", "null", "true"])
    func nonObjectBodyIs422(body: String) async throws {
        try await TestHarness.withApp { client, _ in
            expectError(try await client.api(.post, "/sources", rawBody: body), .unprocessableContent, type: "ValidationFailure")
        }
    }

    @Test func bodyOverOneMegabyteIs413() async throws {
        try await TestHarness.withApp { client, store in
            let big = "{\"slug\":\"" + String(repeating: "a", count: 1_100_000) + "\"}"
            expectError(try await client.api(.post, "/sources", rawBody: big), .contentTooLarge)
            #expect(try await store.listSources(page: PageRequest(count: 10)).totalEntries == 0)
        }
    }

    @Test func wrongFieldTypeIs422NamingTheField() async throws {
        try await TestHarness.withApp { client, _ in
            let response = try await client.api(
                .post, "/sources", json: ["slug": "ok", "enabled": "yes", "metadataId": .string(Fixture.netSource)])
            expectError(response, .unprocessableContent, type: "ValidationFailure", field: "enabled")
        }
    }

    @Test func everyResponseHasARequestID() async throws {
        try await TestHarness.withApp { client, _ in
            let a = try await client.api(.get, "/")
            let b = try await client.api(.get, "/nope")
            #expect(a.headers[.requestID] != b.headers[.requestID])
            let echoed = try await client.api(.get, "/", headers: [.requestID: "my-trace-123"])
            #expect(echoed.headers[.requestID] == "my-trace-123")
        }
    }
}
