import Foundation
import SluiceCatalog
import SluiceCore

/// Writes Sluice's resources in Segment's wire shapes, splicing in catalog JSON that was encoded once.
///
/// One file per resource (`<Resource>+Wire.swift`) holds its shapes; ``Responses`` writes the envelope around them.
struct WireEncoder: Sendable {
    let catalog: Catalog

    /// Stands in for a catalog entry that an imported catalog no longer has, in the schema's shape.
    static func missingDestinationMetadata(id: String) -> JSONValue {
        [
            "id": .string(id), "name": "", "description": "", "slug": "", "logos": ["default": ""], "options": [],
            "status": "UNAVAILABLE", "categories": [], "website": "", "components": [], "previousNames": [],
            "supportedMethods": [:], "supportedPlatforms": [:], "supportedFeatures": [:], "actions": [], "presets": [],
            "contacts": [], "partnerOwned": false,
        ]
    }

    static func missingSourceMetadata(id: String) -> JSONValue {
        [
            "id": .string(id), "name": "", "slug": "", "description": "", "logos": ["default": ""], "options": [],
            "categories": [], "isCloudEventSource": false,
        ]
    }
}
