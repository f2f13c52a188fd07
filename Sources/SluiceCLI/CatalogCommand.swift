import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCatalog
import SluiceCore

/// `sluice catalog import FILE`: loads a full catalog (descriptions included) into the store.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog", abstract: "Manage the destination and source catalog.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a catalog file into the store; servers started after this serve it.",
            discussion: """
                FILE is Segment's docs catalog (destinations.yml or sources.yml), a JSON dump of \
                getDestinationsCatalog / getSourcesCatalog pages, or a catalog in Sluice's own format. \
                A destinations file replaces the destinations and keeps the sources, and the other way round. \
                A file with any bad entry is refused whole, with the entry and field named, and the catalog in \
                use stays as it was.
                """)

        @Argument(help: "The catalog file.") var file: String
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ArgumentParser.ValidationError("cannot read \(file)")
            }
            let contents: CatalogImport
            do {
                contents = try Catalog.convert(segmentFile: Array(data), descriptions: .keep)
            } catch {
                FileHandle.standardError.write(Data("sluice: \(file) was not imported: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
            try await database.withStore { store in
                let current = try await loadCatalog(store: store)
                let next = try current.applying(contents)
                let audit = AuditEvent(
                    timestamp: .now, type: AuditEventType.catalogImported, actor: "sluice/cli", resourceID: "catalog",
                    resourceType: "catalog", resourceName: URL(fileURLWithPath: file).lastPathComponent)
                try await store.saveImportedCatalog(next.sluiceFormat(), audit: [audit])
                Console.line(
                    "Imported \(contents.destinations?.count ?? 0) destinations and \(contents.sources?.count ?? 0) sources; "
                        + "the catalog now holds \(next.destinations.count) destinations and \(next.sources.count) sources. "
                        + "Restart running servers to serve it.")
            }
        }
    }
}
