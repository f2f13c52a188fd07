import Foundation
import SluiceCatalogData
import SluiceCore
import Testing

@testable import SluiceCatalog

/// Segment's full docs catalog at `../shared/catalog` beside the checkout, when it is there.
enum SharedCatalog {
    /// The folder, or `nil` when this checkout has no `../shared/catalog`.
    static let directory: URL? = {
        // This file is Tests/SluiceCatalogTests/CatalogGeneratorTests.swift: three levels below the checkout.
        let checkout = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = checkout.deletingLastPathComponent().appendingPathComponent("shared/catalog")
        let exists = FileManager.default.fileExists(atPath: directory.appendingPathComponent("destinations.yml").path)
        return exists ? directory : nil
    }()

    static let skipReason: Comment = "../shared/catalog is not beside this checkout: the generator cannot be checked against it"

    static func file(_ name: String) throws -> [UInt8] {
        let url = try #require(directory).appendingPathComponent(name)
        return [UInt8](try Data(contentsOf: url))
    }
}

/// The generator is reproducible, and the full files import.
@Suite(.enabled(if: SharedCatalog.directory != nil, SharedCatalog.skipReason))
struct CatalogGeneratorTests {
    @Test func convertingTheSharedCatalogAgainGivesTheEmbeddedBytes() throws {
        // Given the two files the shipped catalog was generated from
        let destinationsFile = try SharedCatalog.file("destinations.yml")
        let sourcesFile = try SharedCatalog.file("sources.yml")

        // When they are converted as the generator does (descriptions left out)
        let destinations = try #require(try Catalog.convert(segmentFile: destinationsFile, descriptions: .strip).destinations)
        let sources = try #require(try Catalog.convert(segmentFile: sourcesFile, descriptions: .strip).sources)
        let bytes = try Catalog(destinations: destinations, sources: sources).sluiceFormat()

        // Then the result is exactly what the binary carries: the generator changes nothing when run again
        #expect(bytes.count == CatalogData.bytes.count)
        #expect(bytes == Array(CatalogData.bytes), "the shipped catalog is stale: run scripts/generate-catalog.sh")
    }

    @Test func fullYAMLImportKeepsDescriptions() throws {
        // Given the full destinations and sources files
        let destinationsFile = try SharedCatalog.file("destinations.yml")
        let sourcesFile = try SharedCatalog.file("sources.yml")

        // When both are imported over the shipped catalog, stored and loaded again
        let imported = try Catalog.embedded()
            .applying(try Catalog.convert(segmentFile: destinationsFile))
            .applying(try Catalog.convert(segmentFile: sourcesFile))
        let loaded = try Catalog(sluiceFormat: imported.sluiceFormat())

        // Then every entry is there, with the file's descriptions
        #expect(loaded.destinations.count == 503)
        #expect(loaded.sources.count == 125)
        #expect(loaded.destinations == imported.destinations)
        #expect(loaded.sources == imported.sources)
        let amplitude = try #require(loaded.destination(id: CatalogEmbeddedTests.amplitude))
        #expect(
            amplitude.options.first { $0.name == "apiKey" }?.description
                == "You can find your API Key on your Amplitude [Settings page](https://amplitude.com/settings).")
        let send = try #require(loaded.destination(id: CatalogEmbeddedTests.webhooks)?.actions.first { $0.slug == "send" })
        #expect(!send.description.isEmpty)
        #expect(send.fields.allSatisfy { !$0.description.isEmpty })
        #expect(loaded.source(id: "8HWbgPTt3k")?.description.hasPrefix("The hassle-free way to add Segment analytics") == true)
        let json = String(decoding: try #require(loaded.destinationJSON(id: CatalogEmbeddedTests.amplitude)), as: UTF8.self)
        #expect(json.contains("You can find your API Key on your Amplitude"))

        // And apart from descriptions it is the shipped catalog
        let shipped = Catalog.embedded()
        #expect(loaded.destinations.map(\.id) == shipped.destinations.map(\.id))
        #expect(loaded.destinations.map { $0.options.map(\.defaultValue) } == shipped.destinations.map { $0.options.map(\.defaultValue) })
        #expect(loaded.destinations.map { $0.actions.map(\.fields.count) } == shipped.destinations.map { $0.actions.map(\.fields.count) })
    }

    @Test func theGeneratedFileIsCurrent() throws {
        // Given the generated source file in the checkout
        let file = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SluiceCatalogData/CatalogData.swift")
        let text = try String(contentsOf: file, encoding: .utf8)

        // Then it says where it came from, and holds the catalog verbatim
        #expect(text.hasPrefix("// Generated by scripts/generate-catalog.sh"))
        #expect(text.contains("// Source: destination data last updated"))
        #expect(text.contains("// Source: sources last updated"))
        #expect(text.contains(String(decoding: Array(CatalogData.bytes), as: UTF8.self)))
    }
}
