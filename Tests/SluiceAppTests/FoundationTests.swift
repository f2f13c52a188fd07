import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

@Suite struct AuthTests {
    @Test func workspaceNeedsAToken() async throws {
        try await TestHarness.withApp { client, store in
            // Given no token, a wrong one, and a malformed header
            for headers: HTTPFields in [[:], [.authorization: "Bearer nope"], [.authorization: "Basic abc"], [.authorization: "Bearer "]] {
                // When the workspace is asked for
                let response = try await client.api(.get, "/", token: nil, headers: headers)
                // Then the answer is 401 in the envelope
                expectError(response, .unauthorized, type: "Unauthorized")
                #expect(response.headers[.requestID] != nil)
            }
        }
    }

    @Test func workspaceWithAToken() async throws {
        try await TestHarness.withApp { client, store in
            let response = try await client.api(.get, "/")
            #expect(response.status == .ok)
            let workspace = try #require(response.data["workspace"])
            let expected = try await store.workspace()
            #expect(workspace["id"]?.stringValue == expected.id)
            #expect(workspace["id"]?.stringValue?.count == 22)
            #expect(workspace["slug"]?.stringValue == expected.slug)
            #expect(workspace["name"]?.stringValue == expected.name)
        }
    }

    @Test func publicRoutesNeedNoToken() async throws {
        try await TestHarness.withApp { client, _ in
            let health = try await client.api(.get, "/healthz", token: nil)
            #expect(health.status == .ok)
            #expect(health.json["status"] == "ok")
            let spec = try await client.api(.get, "/openapi.yaml", token: nil)
            #expect(spec.status == .ok)
            #expect(spec.headers[.contentType] == "application/yaml")
            #expect(spec.text.contains("\nopenapi: 3"))
            // The body is the one openapi.yaml in the repository, byte for byte, as embedded at build time.
            // This file is in Tests/SluiceAppTests/: the checkout is three path components up.
            let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
            let file = try Data(contentsOf: checkout.appendingPathComponent("Sources/SluiceApp/OpenAPI/openapi.yaml"))
            // Compared as a Bool: a failure names the sizes rather than printing 300 kB twice.
            let identical = spec.body.elementsEqual(file)
            #expect(identical, "GET /openapi.yaml answered \(spec.body.count) bytes that are not openapi.yaml's \(file.count)")
        }
    }

    @Test func readOnlyTokenReadsButCannotWrite() async throws {
        try await TestHarness.withApp { client, store in
            let read = try await client.api(.get, "/sources?pagination.count=10", token: TestHarness.readOnlyToken)
            #expect(read.status == .ok)
            let write = try await client.api(
                .post, "/sources", json: ["slug": "x", "enabled": true, "metadataId": .string(Fixture.netSource)],
                token: TestHarness.readOnlyToken)
            expectError(write, .forbidden, type: "Forbidden")
            #expect(try await store.listSources(page: PageRequest(count: 10)).totalEntries == 0)
            for method: HTTPRequest.Method in [.patch, .delete] {
                let response = try await client.api(method, "/destinations/abc", json: [:], token: TestHarness.readOnlyToken)
                expectError(response, .forbidden)
            }
        }
    }
}

@Suite struct MediaTypeTests {
    @Test(arguments: [
        ("application/json", "application/json"),
        ("application/vnd.segment.v1+json", "application/vnd.segment.v1+json"),
        ("application/vnd.segment.v1beta+json", "application/vnd.segment.v1beta+json"),
        ("application/vnd.segment.v1alpha+json", "application/vnd.segment.v1alpha+json"),
        ("*/*", "application/json"),
        ("text/html, application/vnd.segment.v1+json;q=0.5", "application/vnd.segment.v1+json"),
        ("application/json;q=0.2, application/vnd.segment.v1beta+json", "application/vnd.segment.v1beta+json"),
    ])
    func responseTypeFollowsAccept(accept: String, expected: String) async throws {
        try await TestHarness.withApp { client, _ in
            let response = try await client.api(.get, "/", headers: [.accept: accept])
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == expected)
        }
    }

    @Test func unservedAcceptIs406() async throws {
        try await TestHarness.withApp { client, _ in
            let response = try await client.api(.get, "/", headers: [.accept: "text/html"])
            expectError(response, .notAcceptable, type: "NotAcceptable")
        }
    }

    @Test func segmentMediaTypesAreReadAsBodies() async throws {
        try await TestHarness.withApp { client, _ in
            let body = #"{"slug":"typed","enabled":true,"metadataId":"\#(Fixture.netSource)"}"#
            let response = try await client.api(
                .post, "/sources", rawBody: body, headers: [.contentType: "application/vnd.segment.v1+json; charset=utf-8"])
            #expect(response.status == .created, "\(response.text)")
        }
    }

    @Test func nonJSONContentTypeIs415() async throws {
        try await TestHarness.withApp { client, store in
            let response = try await client.api(
                .post, "/sources", rawBody: "slug=x", headers: [.contentType: "application/x-www-form-urlencoded"])
            expectError(response, .unsupportedMediaType)
            #expect(try await store.listSources(page: PageRequest(count: 10)).totalEntries == 0)
        }
    }
}

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

@Suite struct PaginationTests {
    /// Three sources, then each encoding of pagination must page through them the same way.
    @Test(arguments: [
        "pagination.count=2", "pagination%5Bcount%5D=2", "pagination[count]=2", "pagination=%7B%22count%22%3A%202%7D",
    ])
    func everyEncodingPages(firstPage: String) async throws {
        try await TestHarness.withApp { client, _ in
            var ids: [String] = []
            for i in 0..<3 { ids.append(try await client.createSource(slug: "s\(i)")) }
            let first = try await client.api(.get, "/sources?\(firstPage)")
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.data["sources"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == Array(ids.prefix(2)))
            let pagination = try #require(first.data["pagination"])
            #expect(pagination["current"] == "MA==")
            #expect(pagination["totalEntries"] == 3)
            #expect(pagination["previous"] == nil)
            let next = try #require(pagination["next"]?.stringValue)
            let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let second = try await client.api(.get, "/sources?pagination.count=2&pagination.cursor=\(encoded)")
            #expect(second.data["sources"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [ids[2]])
            #expect(second.data["pagination"]?["next"] == nil)
            #expect(second.data["pagination"]?["previous"] == "MA==")
            let json = try await client.api(.get, "/sources?pagination=%7B%22count%22%3A2%2C%22cursor%22%3A%22\(encoded)%22%7D")
            #expect(json.data["sources"]?.arrayValue?.count == 1)
        }
    }

    @Test(arguments: [
        ("", "pagination"), ("pagination.count=0", "pagination.count"), ("pagination.count=201", "pagination.count"),
        ("pagination.count=abc", "pagination.count"), ("pagination.count=5&pagination.cursor=%21%21", "pagination.cursor"),
        ("pagination=%5B1%5D", "pagination"), ("pagination=%7B%22count%22%3Atrue%7D", "pagination.count"),
    ])
    func badPaginationIs422(query: String, field: String) async throws {
        try await TestHarness.withApp { client, _ in
            expectError(try await client.api(.get, "/sources?\(query)"), .unprocessableContent, field: field)
        }
    }
}

@Suite struct AuditTrailTests {
    @Test func writesAreRecordedNewestFirst() async throws {
        try await TestHarness.withApp { client, _ in
            let sourceID = try await client.createSource(slug: "audited")
            let destinationID = try await client.createAmplitude(sourceID: sourceID)
            let disabled = try await client.api(.patch, "/destinations/\(destinationID)", json: ["enabled": false])
            #expect(disabled.status == .ok)
            let response = try await client.api(.get, "/audit-events?pagination.count=50")
            #expect(response.status == .ok)
            let events = try #require(response.data["events"]?.arrayValue)
            let types = events.compactMap { $0["type"]?.stringValue }.filter { !$0.contains("Token") }
            #expect(types == ["Integration Disabled", "Integration Created", "Source Created"])
            let first = events[0]
            #expect(first["resourceId"]?.stringValue == destinationID)
            #expect(first["actor"]?.stringValue?.hasPrefix("public-api-token/") == true)
            #expect(first["timestamp"]?.stringValue.flatMap(Timestamps.parse) != nil)
            let filtered = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(sourceID)")
            #expect(filtered.data["events"]?.arrayValue?.count == 1)
            let byType = try await client.api(.get, "/audit-events?pagination.count=50&resourceType=destination")
            #expect(byType.data["events"]?.arrayValue?.count == 2)
            let future = try await client.api(.get, "/audit-events?pagination.count=50&startTime=2999-01-01T00:00:00Z")
            #expect(future.data["events"]?.arrayValue?.isEmpty == true)
            let past = try await client.api(.get, "/audit-events?pagination.count=50&endTime=2000-01-01T00:00:00.000Z")
            #expect(past.data["events"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func badTimeFilterIs422() async throws {
        try await TestHarness.withApp { client, _ in
            expectError(
                try await client.api(.get, "/audit-events?pagination.count=5&startTime=yesterday"), .unprocessableContent, field: "startTime")
        }
    }
}
