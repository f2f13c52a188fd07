import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

@Suite struct SourcesTests {
    @Test func createGetListUpdateDelete() async throws {
        try await TestHarness.withApp { client, store in
            // Create
            let created = try await client.api(
                .post, "/sources", json: ["slug": "my-source", "enabled": true, "metadataId": .string(Fixture.netSource), "name": "My Source"])
            #expect(created.status == .created, "\(created.text)")
            let source = try #require(created.data["source"]?.objectValue)
            let id = try #require(source["id"]?.stringValue)
            #expect(id.count == 22)
            #expect(source["slug"] == "my-source")
            #expect(source["name"] == "My Source")
            #expect(source["enabled"] == true)
            #expect(source["workspaceId"] == .string(try await store.workspace().id))
            let keys = try #require(source["writeKeys"]?.arrayValue)
            #expect(keys.count == 1)
            #expect(keys[0].stringValue?.count == 32)
            #expect(source["metadata"]?["id"] == .string(Fixture.netSource))
            #expect(source["metadata"]?["status"] == "PUBLIC")
            #expect(source["labels"] == [])
            // Get and list
            #expect(try await client.api(.get, "/sources/\(id)").data["source"]?["slug"] == "my-source")
            let list = try await client.api(.get, "/sources?pagination.count=5")
            #expect(list.data["sources"]?.arrayValue?.count == 1)
            // Update: rename, re-slug, disable, settings merge
            let updated = try await client.api(
                .patch, "/sources/\(id)", json: ["name": "Renamed", "slug": "renamed", "enabled": false, "settings": ["a": 1, "b": "x"]])
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(updated.data["source"]?["slug"] == "renamed")
            #expect(updated.data["source"]?["enabled"] == false)
            #expect(updated.data["source"]?["settings"] == ["a": 1, "b": "x"])
            let merged = try await client.api(.patch, "/sources/\(id)", json: ["settings": ["a": nil, "c": true]])
            #expect(merged.data["source"]?["settings"] == ["b": "x", "c": true])
            // Delete takes the destinations and their subscriptions with it, each audited
            let (_, _) = (id, keys)
            let destinationID = try await client.createAmplitude(sourceID: id)
            let deleted = try await client.api(.delete, "/sources/\(id)")
            #expect(deleted.data == ["status": "SUCCESS"])
            #expect(try await store.destination(id: destinationID) == nil)
            expectError(try await client.api(.get, "/sources/\(id)"), .notFound)
            expectError(try await client.api(.delete, "/sources/\(id)"), .notFound)
            let audit = try await client.api(.get, "/audit-events?pagination.count=20")
            let types = audit.data["events"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
            #expect(Array(types.prefix(2)) == ["Source Deleted", "Integration Deleted"])
            #expect(types.contains("Source Disabled"))
            #expect(types.contains("Source Modified"))
        }
    }

    @Test func slugsAreUniqueAndWellFormed() async throws {
        try await TestHarness.withApp { client, store in
            _ = try await client.createSource(slug: "taken")
            let clash = try await client.api(.post, "/sources", json: ["slug": "taken", "enabled": true, "metadataId": .string(Fixture.netSource)])
            expectError(clash, .unprocessableContent, field: "slug")
            for slug in ["Upper", "with space", "", String(repeating: "a", count: 101), "émoji"] {
                let response = try await client.api(
                    .post, "/sources", json: ["slug": .string(slug), "enabled": true, "metadataId": .string(Fixture.netSource)])
                expectError(response, .unprocessableContent, field: "slug")
            }
            let other = try await client.createSource(slug: "other")
            expectError(try await client.api(.patch, "/sources/\(other)", json: ["slug": "taken"]), .unprocessableContent, field: "slug")
            #expect(try await store.listSources(page: PageRequest(count: 10)).totalEntries == 2)
        }
    }

    @Test func badInputChangesNothing() async throws {
        try await TestHarness.withApp { client, store in
            let cases: [(JSONValue, HTTPResponse.Status, String?)] = [
                (["enabled": true, "metadataId": .string(Fixture.netSource)], .unprocessableContent, "slug"),
                (["slug": "a", "metadataId": .string(Fixture.netSource)], .unprocessableContent, "enabled"),
                (["slug": "a", "enabled": true], .unprocessableContent, "metadataId"),
                (["slug": "a", "enabled": true, "metadataId": "nope"], .notFound, nil),
                (["slug": "a", "enabled": true, "metadataId": .string(Fixture.netSource), "settings": "x"], .unprocessableContent, "settings"),
                (["slug": 1, "enabled": true, "metadataId": .string(Fixture.netSource)], .unprocessableContent, "slug"),
            ]
            for (body, status, field) in cases {
                expectError(try await client.api(.post, "/sources", json: body), status, field: field)
            }
            #expect(try await store.listSources(page: PageRequest(count: 10)).totalEntries == 0)
            let id = try await client.createSource(slug: "kept")
            let before = try await store.source(id: id)
            expectError(try await client.api(.patch, "/sources/\(id)", json: ["enabled": "no"]), .unprocessableContent, field: "enabled")
            expectError(try await client.api(.patch, "/sources/\(id)", json: ["settings": [1]]), .unprocessableContent, field: "settings")
            expectError(try await client.api(.patch, "/sources/nope", json: [:]), .notFound)
            expectError(try await client.api(.get, "/sources/nope/connected-destinations?pagination.count=5"), .notFound)
            #expect(try await store.source(id: id) == before)
        }
    }
}

@Suite struct CatalogRouteTests {
    @Test func destinationsCatalogPagesAndEntries() async throws {
        try await TestHarness.withApp { client, _ in
            let page = try await client.api(.get, "/catalog/destinations?pagination.count=200")
            #expect(page.status == .ok)
            #expect(page.data["destinationsCatalog"]?.arrayValue?.count == 200)
            #expect(page.data["pagination"]?["totalEntries"] == 503)
            let last = try await client.api(.get, "/catalog/destinations?pagination.count=200&pagination.cursor=\(PageRequest.cursor(offset: 400))")
            #expect(last.data["destinationsCatalog"]?.arrayValue?.count == 103)
            #expect(last.data["pagination"]?["next"] == nil)
            let webhooks = try await client.api(.get, "/catalog/destinations/\(Fixture.webhooks)")
            let metadata = try #require(webhooks.data["destinationMetadata"])
            #expect(metadata["name"] == "Webhooks (Actions)")
            #expect(metadata["actions"]?.arrayValue?.first?["slug"] == "send")
            #expect(metadata["options"]?.arrayValue?.first?["type"] == "password")
            expectError(try await client.api(.get, "/catalog/destinations/nope"), .notFound)
            expectError(try await client.api(.get, "/catalog/destinations"), .unprocessableContent, field: "pagination")
        }
    }

    /// A page of the catalog is its entries spliced in as they are: byte for byte each entry's own answer, in order.
    @Test func aCatalogPageIsItsEntriesBytesInOrder() async throws {
        try await TestHarness.withApp { client, _ in
            let page = try await client.api(.get, "/catalog/destinations?pagination.count=30")
            let ids = try #require(page.data["destinationsCatalog"]?.arrayValue).compactMap { $0["id"]?.stringValue }
            #expect(ids.count == 30)
            let prefix = Array(#"{"data":{"destinationMetadata":"#.utf8)
            var expected = Array(#"{"data":{"destinationsCatalog":["#.utf8)
            for (i, id) in ids.enumerated() {
                let one = try await client.api(.get, "/catalog/destinations/\(id)").body
                #expect(one.starts(with: prefix) && one.suffix(2) == Array("}}".utf8))
                if i > 0 { expected.append(UInt8(ascii: ",")) }
                expected += one.dropFirst(prefix.count).dropLast(2)
            }
            expected += Array("],".utf8)
            #expect(page.body.starts(with: expected))
        }
    }

    @Test func sourcesCatalog() async throws {
        try await TestHarness.withApp { client, _ in
            let page = try await client.api(.get, "/catalog/sources?pagination.count=50")
            #expect(page.data["sourcesCatalog"]?.arrayValue?.count == 50)
            #expect(page.data["pagination"]?["totalEntries"] == 125)
            let net = try await client.api(.get, "/catalog/sources/\(Fixture.netSource)")
            #expect(net.data["sourceMetadata"]?["slug"] == "net")
            expectError(try await client.api(.get, "/catalog/sources/nope"), .notFound)
        }
    }
}
