import Foundation
import Logging
import SluiceCatalog
import SluiceCore
import SluiceDelivery

/// What the controllers stand on, chosen once in ``buildApplication(settings:logger:)``.
struct AppServices: Sendable {
    let store: any Store
    let catalog: Catalog
    let workspace: Workspace
    let wire: WireEncoder
    /// Destinations' masked settings, kept by their stored text (`GET /destinations/{id}` and the lists).
    let destinationAnswers: DestinationAnswers
    let settings: AppSettings
    let logger: Logger
    /// The destinations Sluice delivers to, by catalog id.
    let integrations: IntegrationRegistry
    /// New ids, write keys and timestamps: the system's, or a fixed sequence in tests.
    let minting: Minting

    init(store: any Store, catalog: Catalog, workspace: Workspace, settings: AppSettings, logger: Logger, minting: Minting = .system) {
        self.minting = minting
        self.store = store
        self.catalog = catalog
        self.workspace = workspace
        self.wire = WireEncoder(catalog: catalog)
        self.destinationAnswers = DestinationAnswers(catalog: catalog, cipher: (store as? SealedStore)?.cipher)
        self.settings = settings
        self.logger = logger
        self.integrations = IntegrationRegistry.standard { catalog.destination(id: $0) }
    }

    /// Tells the operator, once per created destination or subscription, that Sluice cannot deliver to its kind:
    /// it stays configurable (as at Segment) and receives no events.
    func noteUndeliverable(_ destination: Destination, created: String) {
        guard !integrations.supports(destination.metadataID) else { return }
        let kind = catalog.destination(id: destination.metadataID)?.name ?? destination.metadataID
        logger.notice(
            "Sluice has no integration for \(kind): the \(created) is saved and receives no events (docs/integrations.md)",
            metadata: ["destinationId": "\(destination.id)", "metadataId": "\(destination.metadataID)"])
    }

    /// At start: the kinds of stored destinations Sluice cannot deliver to, in one notice (read in the background:
    /// a store of many destinations does not hold up start-up).
    func noteUndeliverableAtStart() async {
        var counts: [String: Int] = [:]
        var page = PageRequest(count: PageRequest.maxCount)
        do {
            while true {
                let result = try await store.listDestinations(sourceID: nil, page: page)
                for destination in result.items where !integrations.supports(destination.metadataID) {
                    counts[catalog.destination(id: destination.metadataID)?.name ?? destination.metadataID, default: 0] += 1
                }
                guard result.items.count == page.count else { break }
                page.offset += page.count
            }
        } catch {
            return
        }
        guard !counts.isEmpty else { return }
        let kinds = counts.keys.sorted().map { "\($0) (\(counts[$0]!))" }.joined(separator: ", ")
        logger.notice("Sluice has no integration for these destinations; they are kept and receive no events (docs/integrations.md): \(kinds)")
    }
}

extension Identifier {
    /// The path parameter `name`, or 404 when it cannot name anything (odd characters, too long).
    static func pathID(_ value: String?, resource: String) throws -> String {
        guard let value, isPlausible(value) else { throw APIError.notFound("No \(resource) with that id") }
        return value
    }
}
