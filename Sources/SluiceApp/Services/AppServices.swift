import Foundation
import Logging
import SluiceCatalog
import SluiceCore

/// What the controllers stand on, chosen once in ``buildApplication(settings:logger:)``.
struct AppServices: Sendable {
    let store: any Store
    let catalog: Catalog
    let workspace: Workspace
    let wire: WireEncoder
    let settings: AppSettings
    let logger: Logger

    init(store: any Store, catalog: Catalog, workspace: Workspace, settings: AppSettings, logger: Logger) {
        self.store = store
        self.catalog = catalog
        self.workspace = workspace
        self.wire = WireEncoder(catalog: catalog)
        self.settings = settings
        self.logger = logger
    }

    /// An audit event stamped now.
    func audit(_ type: String, actor: String, id: String, resourceType: String, name: String) -> AuditEvent {
        AuditEvent(timestamp: .now, type: type, actor: actor, resourceID: id, resourceType: resourceType, resourceName: name)
    }
}

extension Identifier {
    /// The path parameter `name`, or 404 when it cannot name anything (odd characters, too long).
    static func pathID(_ value: String?, resource: String) throws -> String {
        guard let value, isPlausible(value) else { throw APIError.notFound("No \(resource) with that id") }
        return value
    }
}
