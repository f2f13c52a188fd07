import Hummingbird
import SluiceCatalog
import SluiceCore

/// The catalog: `GET /catalog/destinations[/{id}]`, `GET /catalog/sources[/{id}]`.
///
/// Every entry's JSON was encoded once when the catalog loaded; these handlers only splice bytes.
struct CatalogController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        router.get("/catalog/destinations") { request, context in
            let page = try Query(request.uri.query).pagination()
            let catalog = services.catalog
            return list(count: catalog.destinations.count, page: page, key: "destinationsCatalog", json: catalog.destinationJSON(at:), context)
        }
        router.get("/catalog/destinations/:destinationMetadataId") { _, context in
            let id = try context.parameters.require("destinationMetadataId")
            guard let json = services.catalog.destinationJSON(id: id) else {
                throw APIError.notFound("No destination in the catalog with id \(id)")
            }
            return one(json, key: "destinationMetadata", context)
        }
        router.get("/catalog/sources") { request, context in
            let page = try Query(request.uri.query).pagination()
            let catalog = services.catalog
            return list(count: catalog.sources.count, page: page, key: "sourcesCatalog", json: catalog.sourceJSON(at:), context)
        }
        router.get("/catalog/sources/:sourceMetadataId") { _, context in
            let id = try context.parameters.require("sourceMetadataId")
            guard let json = services.catalog.sourceJSON(id: id) else {
                throw APIError.notFound("No source in the catalog with id \(id)")
            }
            return one(json, key: "sourceMetadata", context)
        }
    }

    private func one(_ json: [UInt8], key: String, _ context: SluiceRequestContext) -> Response {
        Responses.data(context, capacity: json.count + 64) { w in
            w.key(key)
            w.raw(json)
        }
    }

    /// A page of entries, by position in the catalog's order.
    private func list(
        count: Int, page request: PageRequest, key: String, json: (Int) -> [UInt8], _ context: SluiceRequestContext
    ) -> Response {
        let positions = Array(min(request.offset, count)..<min(request.offset + request.count, count))
        let page = Page(items: positions, totalEntries: count, request: request).map(json)
        return Responses.list(context, key: key, page: page, bytes: page.items.reduce(0) { $0 + $1.count + 1 }) { chunk, w in w.raw(chunk) }
    }
}
