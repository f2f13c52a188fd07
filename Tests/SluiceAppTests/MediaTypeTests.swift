import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

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
