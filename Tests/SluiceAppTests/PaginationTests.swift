import Foundation
import Hummingbird
import HummingbirdTesting
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

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
