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
