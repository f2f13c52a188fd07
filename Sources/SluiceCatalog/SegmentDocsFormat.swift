import SluiceCore

/// Maps entries of Segment's docs catalog files (`segmentio/segment-docs`,
/// `src/_data/catalog/destinations.yml` and `sources.yml`) to the catalog model.
///
/// Required in every entry: `id` and `slug`, and `name` (or `display_name`); in each
/// setting `name` and `type`; in each action `id`, `slug` and `name`; in each action
/// field `id`, `fieldKey` and `type`; in each preset `actionId` and `trigger`. Anything
/// else may be absent or null and takes an empty value (`""`, `false`, `[]`; `"0"` for the
/// instance counts). Keys the model has no place for (`url`, `hidden`, `connection_modes`,
/// `methods.screen`, `platforms.linkedAudiences`, ...) are ignored.
enum SegmentDocsFormat {
    // MARK: - Destinations

    /// Maps one entry of `destinations.yml`.
    static func destination(_ r: FieldReader, descriptions: Catalog.Descriptions) throws(CatalogError) -> DestinationMetadata {
        let id = try r.requiredString("id")
        let name = try r.optionalString("name") ?? ""
        let displayName = name.isEmpty ? try r.requiredString("display_name") : name
        let slug = try r.requiredString("slug")

        let methods = try r.object("methods")
        let platforms = try r.object("platforms")
        return DestinationMetadata(
            id: id,
            name: displayName,
            description: try description(r, descriptions),
            slug: slug,
            logos: try logos(r),
            options: try r.objects("settings") { (o) throws(CatalogError) in try option(o, descriptions: descriptions) },
            status: try r.string("status"),
            categories: try r.strings("categories"),
            website: try r.string("website"),
            components: try r.objects("components") { (c) throws(CatalogError) in
                DestinationMetadata.Component(code: try c.string("code"), owner: try c.optionalString("owner"), type: try c.requiredString("type"))
            },
            previousNames: try r.strings("previous_names"),
            supportedMethods: DestinationMetadata.SupportedMethods(
                track: try methods?.bool("track") ?? false,
                pageview: try methods?.bool("page", default: methods?.bool("pageview") ?? false) ?? false,
                identify: try methods?.bool("identify") ?? false,
                group: try methods?.bool("group") ?? false,
                alias: try methods?.bool("alias") ?? false
            ),
            supportedPlatforms: DestinationMetadata.SupportedPlatforms(
                browser: try platforms?.bool("browser") ?? false,
                mobile: try platforms?.bool("mobile") ?? false,
                server: try platforms?.bool("server") ?? false,
                warehouse: try platforms?.bool("warehouse") ?? false,
                cloudAppObject: try platforms?.bool("cloudAppObject") ?? false
            ),
            supportedFeatures: DestinationMetadata.SupportedFeatures(
                cloudModeInstances: try r.stringOrNumber("cloudModeInstances", default: "0"),
                deviceModeInstances: try r.stringOrNumber("deviceModeInstances", default: "0"),
                replay: try r.bool("replay"),
                browserUnbundling: try r.bool("browserUnbundlingSupported"),
                browserUnbundlingPublic: try r.bool("browserUnbundlingPublic")
            ),
            actions: try r.objects("actions") { (a) throws(CatalogError) in try action(a, descriptions: descriptions) },
            presets: try r.objects("presets") { (p) throws(CatalogError) in
                DestinationMetadata.Preset(
                    actionId: try p.requiredString("actionId"),
                    name: try p.string("name"),
                    fields: try p.jsonObject("fields"),
                    trigger: try p.requiredString("trigger")
                )
            },
            contacts: try r.objects("contacts") { (c) throws(CatalogError) in
                DestinationMetadata.Contact(
                    name: try c.string("name"),
                    email: try c.string("email"),
                    role: try c.string("role"),
                    isPrimary: try c.bool("isPrimary")
                )
            },
            partnerOwned: try r.bool("partnerOwned"),
            supportedRegions: try r.strings("regions"),
            regionEndpoints: try r.strings("endpoints")
        )
    }

    private static func action(_ a: FieldReader, descriptions: Catalog.Descriptions) throws(CatalogError) -> DestinationAction {
        DestinationAction(
            id: try a.requiredString("id"),
            slug: try a.requiredString("slug"),
            name: try a.requiredString("name"),
            description: try description(a, descriptions),
            platform: try a.string("platform"),
            hidden: try a.bool("hidden"),
            defaultTrigger: try a.optionalString("defaultTrigger"),
            fields: try a.objects("fields") { (f) throws(CatalogError) in
                ActionField(
                    id: try f.requiredString("id"),
                    sortOrder: try f.number("sortOrder"),
                    fieldKey: try f.requiredString("fieldKey"),
                    label: try f.string("label"),
                    type: try f.requiredString("type"),
                    description: try description(f, descriptions),
                    placeholder: try f.optionalString("placeholder"),
                    defaultValue: f.value("defaultValue"),
                    required: try f.bool("required"),
                    multiple: try f.bool("multiple"),
                    choices: f.choices("choices"),
                    dynamic: try f.bool("dynamic"),
                    allowNull: try f.bool("allowNull"),
                    hidden: try f.bool("hidden")
                )
            }
        )
    }

    // MARK: - Sources

    /// Maps one entry of `sources.yml`.
    static func source(_ r: FieldReader, descriptions: Catalog.Descriptions) throws(CatalogError) -> SourceMetadata {
        let id = try r.requiredString("id")
        let displayName = try r.optionalString("display_name") ?? ""
        let name = displayName.isEmpty ? try r.requiredString("name") : displayName
        return SourceMetadata(
            id: id,
            name: name,
            slug: try r.requiredString("slug"),
            description: try description(r, descriptions),
            logos: try logos(r),
            options: try r.objects("settings") { (o) throws(CatalogError) in try option(o, descriptions: descriptions) },
            categories: try r.strings("categories"),
            isCloudEventSource: try r.bool("isCloudEventSource"),
            status: try r.string("status", default: "PUBLIC"),
            partnerOwned: try r.bool("partnerOwned")
        )
    }

    // MARK: - Shared parts

    /// A setting (`settings[i]`) as an integration option.
    static func option(_ o: FieldReader, descriptions: Catalog.Descriptions) throws(CatalogError) -> IntegrationOption {
        IntegrationOption(
            name: try o.requiredString("name"),
            type: try o.requiredString("type"),
            defaultValue: o.value("defaultValue"),
            description: try description(o, descriptions),
            required: try o.bool("required"),
            label: try o.string("label")
        )
    }

    private static func logos(_ r: FieldReader) throws(CatalogError) -> DestinationMetadata.Logos {
        let logo = try r.object("logo")
        let mark = try r.object("mark")
        return DestinationMetadata.Logos(default: try logo?.string("url") ?? "", mark: try mark?.optionalString("url"))
    }

    private static func description(_ r: FieldReader, _ descriptions: Catalog.Descriptions) throws(CatalogError) -> String {
        let text = try r.string("description")  // read even when dropped, so a wrong type is still refused
        return descriptions == .keep ? text : ""
    }
}
