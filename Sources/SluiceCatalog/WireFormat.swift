import SluiceCore

/// Reads and writes catalog entries in the Public API's wire shape, `DestinationMetadataV1` and `SourceMetadataV1`.
///
/// Writing follows the model's property order, and writes optional parts as Segment does:
/// `logos.mark`, `logos.alt`, `components[].owner`, `options[].defaultValue`,
/// `fields[].placeholder` and `fields[].defaultValue` only when present; `defaultTrigger` and
/// `choices` as `null` when absent. Free-form values go through ``JSONWriter`` (object keys sorted).
///
/// Reading takes what the Public API answers and what Sluice writes: `id`, `name` and `slug`
/// are required (and an action's `id`, `slug` and `name`, a field's `id`, `fieldKey` and `type`,
/// an option's `name` and `type`, a preset's `actionId` and `trigger`); anything else may be
/// absent or null and takes an empty value, as older answers lack the newer fields.
enum WireFormat {
    // MARK: - Reading

    /// Reads one `DestinationMetadataV1`.
    static func destination(_ r: FieldReader, descriptions: Catalog.Descriptions) throws(CatalogError) -> DestinationMetadata {
        let logos = try r.object("logos")
        let methods = try r.object("supportedMethods")
        let platforms = try r.object("supportedPlatforms")
        let features = try r.object("supportedFeatures")
        return DestinationMetadata(
            id: try r.requiredString("id"),
            name: try r.requiredString("name"),
            description: try description(r, descriptions),
            slug: try r.requiredString("slug"),
            logos: DestinationMetadata.Logos(
                default: try logos?.string("default") ?? "",
                mark: try logos?.optionalString("mark"),
                alt: try logos?.optionalString("alt")
            ),
            options: try r.objects("options") { (o) throws(CatalogError) in try option(o, descriptions: descriptions) },
            status: try r.string("status"),
            categories: try r.strings("categories"),
            website: try r.string("website"),
            components: try r.objects("components") { (c) throws(CatalogError) in
                DestinationMetadata.Component(code: try c.string("code"), owner: try c.optionalString("owner"), type: try c.string("type"))
            },
            previousNames: try r.strings("previousNames"),
            supportedMethods: DestinationMetadata.SupportedMethods(
                track: try methods?.bool("track") ?? false,
                pageview: try methods?.bool("pageview") ?? false,
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
                cloudModeInstances: try features?.stringOrNumber("cloudModeInstances", default: "0") ?? "0",
                deviceModeInstances: try features?.stringOrNumber("deviceModeInstances", default: "0") ?? "0",
                replay: try features?.bool("replay") ?? false,
                browserUnbundling: try features?.bool("browserUnbundling") ?? false,
                browserUnbundlingPublic: try features?.bool("browserUnbundlingPublic") ?? false
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
            supportedRegions: try r.strings("supportedRegions"),
            regionEndpoints: try r.strings("regionEndpoints")
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

    /// Reads one `SourceMetadataV1`.
    static func source(_ r: FieldReader, descriptions: Catalog.Descriptions) throws(CatalogError) -> SourceMetadata {
        let logos = try r.object("logos")
        return SourceMetadata(
            id: try r.requiredString("id"),
            name: try r.requiredString("name"),
            slug: try r.requiredString("slug"),
            description: try description(r, descriptions),
            logos: DestinationMetadata.Logos(
                default: try logos?.string("default") ?? "",
                mark: try logos?.optionalString("mark"),
                alt: try logos?.optionalString("alt")
            ),
            options: try r.objects("options") { (o) throws(CatalogError) in try option(o, descriptions: descriptions) },
            categories: try r.strings("categories"),
            isCloudEventSource: try r.bool("isCloudEventSource"),
            status: try r.string("status", default: "PUBLIC"),
            partnerOwned: try r.bool("partnerOwned")
        )
    }

    private static func option(_ o: FieldReader, descriptions: Catalog.Descriptions) throws(CatalogError) -> IntegrationOption {
        IntegrationOption(
            name: try o.requiredString("name"),
            type: try o.requiredString("type"),
            defaultValue: o.value("defaultValue"),
            description: try description(o, descriptions),
            required: try o.bool("required"),
            label: try o.string("label")
        )
    }

    private static func description(_ r: FieldReader, _ descriptions: Catalog.Descriptions) throws(CatalogError) -> String {
        let text = try r.string("description")
        return descriptions == .keep ? text : ""
    }

    // MARK: - Writing

    /// Writes one destination as `DestinationMetadataV1`.
    static func write(_ d: DestinationMetadata, to w: inout JSONWriter) {
        w.raw(#"{"id":"#); w.string(d.id)
        w.raw(#","name":"#); w.string(d.name)
        w.raw(#","description":"#); w.string(d.description)
        w.raw(#","slug":"#); w.string(d.slug)
        w.raw(#","logos":"#); write(d.logos, to: &w)
        w.raw(#","options":"#); write(d.options, to: &w)
        w.raw(#","status":"#); w.string(d.status)
        w.raw(#","categories":"#); write(d.categories, to: &w)
        w.raw(#","website":"#); w.string(d.website)
        w.raw(#","components":"#); w.raw("[")
        for (i, c) in d.components.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"code":"#); w.string(c.code)
            if let owner = c.owner { w.raw(#","owner":"#); w.string(owner) }
            w.raw(#","type":"#); w.string(c.type); w.raw("}")
        }
        w.raw("]")
        w.raw(#","previousNames":"#); write(d.previousNames, to: &w)
        let m = d.supportedMethods
        w.raw(#","supportedMethods":"#)
        w.raw(#"{"track":"#); w.bool(m.track)
        w.raw(#","pageview":"#); w.bool(m.pageview)
        w.raw(#","identify":"#); w.bool(m.identify)
        w.raw(#","group":"#); w.bool(m.group)
        w.raw(#","alias":"#); w.bool(m.alias); w.raw("}")
        let p = d.supportedPlatforms
        w.raw(#","supportedPlatforms":"#)
        w.raw(#"{"browser":"#); w.bool(p.browser)
        w.raw(#","mobile":"#); w.bool(p.mobile)
        w.raw(#","server":"#); w.bool(p.server)
        w.raw(#","warehouse":"#); w.bool(p.warehouse)
        w.raw(#","cloudAppObject":"#); w.bool(p.cloudAppObject); w.raw("}")
        let f = d.supportedFeatures
        w.raw(#","supportedFeatures":"#)
        w.raw(#"{"cloudModeInstances":"#); w.string(f.cloudModeInstances)
        w.raw(#","deviceModeInstances":"#); w.string(f.deviceModeInstances)
        w.raw(#","replay":"#); w.bool(f.replay)
        w.raw(#","browserUnbundling":"#); w.bool(f.browserUnbundling)
        w.raw(#","browserUnbundlingPublic":"#); w.bool(f.browserUnbundlingPublic); w.raw("}")
        w.raw(#","actions":"#); w.raw("[")
        for (i, a) in d.actions.enumerated() {
            if i > 0 { w.raw(",") }
            write(a, to: &w)
        }
        w.raw("]")
        w.raw(#","presets":"#); w.raw("[")
        for (i, preset) in d.presets.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"actionId":"#); w.string(preset.actionId)
            w.raw(#","name":"#); w.string(preset.name)
            w.raw(#","fields":"#); w.value(.object(preset.fields))
            w.raw(#","trigger":"#); w.string(preset.trigger); w.raw("}")
        }
        w.raw("]")
        w.raw(#","contacts":"#); w.raw("[")
        for (i, c) in d.contacts.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"name":"#); w.string(c.name)
            w.raw(#","email":"#); w.string(c.email)
            w.raw(#","role":"#); w.string(c.role)
            w.raw(#","isPrimary":"#); w.bool(c.isPrimary); w.raw("}")
        }
        w.raw("]")
        w.raw(#","partnerOwned":"#); w.bool(d.partnerOwned)
        w.raw(#","supportedRegions":"#); write(d.supportedRegions, to: &w)
        w.raw(#","regionEndpoints":"#); write(d.regionEndpoints, to: &w)
        w.raw("}")
    }

    private static func write(_ a: DestinationAction, to w: inout JSONWriter) {
        w.raw(#"{"id":"#); w.string(a.id)
        w.raw(#","slug":"#); w.string(a.slug)
        w.raw(#","name":"#); w.string(a.name)
        w.raw(#","description":"#); w.string(a.description)
        w.raw(#","platform":"#); w.string(a.platform)
        w.raw(#","hidden":"#); w.bool(a.hidden)
        w.raw(#","defaultTrigger":"#)
        if let trigger = a.defaultTrigger { w.string(trigger) } else { w.null() }
        w.raw(#","fields":"#); w.raw("[")
        for (i, f) in a.fields.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"id":"#); w.string(f.id)
            w.raw(#","sortOrder":"#); w.number(f.sortOrder)
            w.raw(#","fieldKey":"#); w.string(f.fieldKey)
            w.raw(#","label":"#); w.string(f.label)
            w.raw(#","type":"#); w.string(f.type)
            w.raw(#","description":"#); w.string(f.description)
            if let placeholder = f.placeholder { w.raw(#","placeholder":"#); w.string(placeholder) }
            if let defaultValue = f.defaultValue { w.raw(#","defaultValue":"#); w.value(defaultValue) }
            w.raw(#","required":"#); w.bool(f.required)
            w.raw(#","multiple":"#); w.bool(f.multiple)
            w.raw(#","choices":"#); w.value(f.choices ?? .null)
            w.raw(#","dynamic":"#); w.bool(f.dynamic)
            w.raw(#","allowNull":"#); w.bool(f.allowNull)
            w.raw(#","hidden":"#); w.bool(f.hidden); w.raw("}")
        }
        w.raw("]}")
    }

    /// Writes one source as `SourceMetadataV1`.
    static func write(_ s: SourceMetadata, to w: inout JSONWriter) {
        w.raw(#"{"id":"#); w.string(s.id)
        w.raw(#","name":"#); w.string(s.name)
        w.raw(#","slug":"#); w.string(s.slug)
        w.raw(#","description":"#); w.string(s.description)
        w.raw(#","logos":"#); write(s.logos, to: &w)
        w.raw(#","options":"#); write(s.options, to: &w)
        w.raw(#","categories":"#); write(s.categories, to: &w)
        w.raw(#","isCloudEventSource":"#); w.bool(s.isCloudEventSource)
        w.raw(#","status":"#); w.string(s.status)
        w.raw(#","partnerOwned":"#); w.bool(s.partnerOwned)
        w.raw("}")
    }

    private static func write(_ logos: DestinationMetadata.Logos, to w: inout JSONWriter) {
        w.raw(#"{"default":"#); w.string(logos.default)
        if let mark = logos.mark { w.raw(#","mark":"#); w.string(mark) }
        if let alt = logos.alt { w.raw(#","alt":"#); w.string(alt) }
        w.raw("}")
    }

    private static func write(_ options: [IntegrationOption], to w: inout JSONWriter) {
        w.raw("[")
        for (i, o) in options.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw(#"{"name":"#); w.string(o.name)
            w.raw(#","type":"#); w.string(o.type)
            if let defaultValue = o.defaultValue { w.raw(#","defaultValue":"#); w.value(defaultValue) }
            w.raw(#","description":"#); w.string(o.description)
            w.raw(#","required":"#); w.bool(o.required)
            w.raw(#","label":"#); w.string(o.label); w.raw("}")
        }
        w.raw("]")
    }

    private static func write(_ strings: [String], to w: inout JSONWriter) {
        w.raw("[")
        for (i, s) in strings.enumerated() {
            if i > 0 { w.raw(",") }
            w.string(s)
        }
        w.raw("]")
    }
}
