import Foundation
import SluiceCatalogData
import SluiceCore
import Testing

@testable import SluiceCatalog

/// The catalog shipped inside the binary: every entry decodes, and the four entries the
/// product leans on carry the catalog file's options, actions and fields.
@Suite struct CatalogEmbeddedTests {
    static let amplitude = "54521fd525e721e32a72ee91"
    static let kinesis = "57da359580412f644ff33fb9"
    static let ga4 = "60ad61f9ff47a16b8fb7b5d9"
    static let webhooks = "614a3c7d791c91c41bae7599"

    var catalog: Catalog { Catalog.embedded() }

    @Test func everyShippedEntryDecodes() throws {
        // Given the shipped catalog
        // When it is decoded
        let catalog = catalog

        // Then it holds all 503 destinations (160 with actions) and 125 sources, ids unique, descriptions left out
        #expect(catalog.destinations.count == 503)
        #expect(catalog.destinations.filter { !$0.actions.isEmpty }.count == 160)
        #expect(catalog.sources.count == 125)
        #expect(Set(catalog.destinations.map(\.id)).count == 503)
        #expect(Set(catalog.sources.map(\.id)).count == 125)
        #expect(catalog.destinations.allSatisfy { $0.description.isEmpty && $0.options.allSatisfy { $0.description.isEmpty } })
        let actions = catalog.destinations.flatMap(\.actions)
        #expect(actions.allSatisfy { $0.description.isEmpty && $0.fields.allSatisfy { $0.description.isEmpty } })
        #expect(catalog.sources.allSatisfy { $0.description.isEmpty })
        // And every entry's stored JSON is JSON that reads back to the same entry
        for (i, destination) in catalog.destinations.enumerated() {
            let json = catalog.destinationJSON(at: i)
            #expect(catalog.destinationJSON(id: destination.id) == json)
            let object = try #require(JSONValue.parse(json).objectValue)
            let reread = try WireFormat.destination(FieldReader(object: object, entry: "d"), descriptions: .keep)
            #expect(reread == destination)
        }
        for (i, source) in catalog.sources.enumerated() {
            let reread = try WireFormat.source(
                FieldReader(object: try #require(JSONValue.parse(catalog.sourceJSON(at: i)).objectValue), entry: "s"),
                descriptions: .keep)
            #expect(reread == source)
        }
    }

    @Test func secretNamesAgreeWithEveryOptionOfEveryEntry() {
        let catalog = Catalog.embedded()
        for entry in catalog.destinations {
            let names = catalog.secretNames(destination: entry.id)
            for option in entry.options where entry.options.first(where: { $0.name == option.name }) == option {
                #expect(names.contains(option.name) == DestinationSettings.isSecret(name: option.name, option: option), "\(entry.id) \(option.name)")
            }
        }
        // An id the catalog does not have: the name alone decides, and the answer is kept
        #expect(catalog.secretNames(destination: "nope").contains("apiKey"))
        #expect(!catalog.secretNames(destination: "nope").contains("region"))
        #expect(catalog.secretNames(source: Self.amplitude).contains("writeKey"))
    }

    @Test func settingsRulesHoldEveryEntrysOptionsAndDefaults() throws {
        // The defaults spelled out here: the first option of each name with a default that is not null, the
        // workspace placeholder replaced wherever it appears in a string
        func substituted(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text): .string(text.replacingOccurrences(of: "#SEGMENT_WORKSPACE_ID", with: "ws1"))
            case .array(let elements): .array(elements.map(substituted))
            case .object(let members): .object(members.mapValues(substituted))
            default: value
            }
        }
        let catalog = Catalog.embedded()
        var placeholders = 0
        for entry in catalog.destinations {
            let rules = try #require(catalog.settingsRules(destination: entry.id))
            #expect(rules.options == entry.options)
            var expected: [String: JSONValue] = [:]
            for option in entry.options where expected[option.name] == nil {
                if let value = option.defaultValue, !value.isNull { expected[option.name] = substituted(value) }
            }
            let defaults = rules.defaults(workspaceID: "ws1")
            #expect(defaults == expected, "\(entry.id)")
            if defaults != rules.defaults(workspaceID: "ws2") { placeholders += 1 }
        }
        // Some shipped entries do carry the placeholder (Amazon Kinesis's secretId, among others)
        #expect(placeholders > 0)
        #expect(catalog.settingsRules(destination: "nope") == nil)
    }

    @Test func embeddedIsDecodedOnceAndShared() {
        // Given two calls
        // Then they hand out the same catalog, and the same entry bytes
        #expect(Catalog.embedded() === Catalog.embedded())
        let json = Catalog.embedded().destinationJSON(id: Self.amplitude)
        #expect(json != nil && json == Catalog.embedded().destinationJSON(id: Self.amplitude))
    }

    @Test func fastAndGeneralReadersAgreeOnTheShippedCatalog() throws {
        // Given the shipped bytes
        let bytes = Array(CatalogData.bytes)

        // When read by the start-up reader and by the general one
        let (destinations, sources) = try FastWireReader.sluiceFormat(CatalogData.bytes)
        let general = try Catalog.readSluiceFormat(bytes)

        // Then both give the same models
        #expect(general.destinations == destinations)
        #expect(general.sources == sources)
    }

    @Test func sluiceFormatRoundTripsToTheSameBytes() throws {
        // Given the shipped catalog
        let catalog = catalog

        // When written in Sluice's format and read back
        let bytes = catalog.sluiceFormat()
        let reread = try Catalog(sluiceFormat: bytes)

        // Then the bytes are the embedded ones, and the models are equal
        #expect(bytes == Array(CatalogData.bytes))
        #expect(reread.destinations == catalog.destinations)
        #expect(reread.sources == catalog.sources)
        #expect(reread.sluiceFormat() == bytes)
    }

    @Test func unknownIDsAreNotFound() {
        #expect(catalog.destination(id: "nope") == nil)
        #expect(catalog.destinationJSON(id: "nope") == nil)
        #expect(catalog.source(id: "nope") == nil)
        #expect(catalog.sourceJSON(id: Self.amplitude) == nil)
        #expect(catalog.destinationPosition(id: Self.amplitude) == catalog.destinations.firstIndex { $0.id == Self.amplitude })
    }

    // MARK: - The four entries

    @Test func amplitude() throws {
        let d = try #require(catalog.destination(id: Self.amplitude))
        #expect(d.name == "Amplitude")
        #expect(d.slug == "amplitude")
        #expect(d.description == "")
        #expect(d.status == "PUBLIC")
        #expect(d.categories == ["Analytics"])
        #expect(d.website == "http://amplitude.com")
        #expect(d.logos.default == "https://d3hotuclm6if1r.cloudfront.net/logos/amplitude-default.svg")
        #expect(d.logos.mark == "https://cdn-devcenter.segment.com/12fe2a6f-e40b-40d7-82fc-480e9e13782a.svg")
        #expect(d.previousNames == ["Amplitude"])
        #expect(d.options.count == 37)
        let names = d.options.map(\.name)
        #expect(names.first == "apiKey" && names.last == "versionName")
        let apiKey = try #require(d.options.first { $0.name == "apiKey" })
        #expect(apiKey == IntegrationOption(name: "apiKey", type: "string", defaultValue: "", description: "", required: true, label: "API Key"))
        #expect(d.options.first { $0.name == "appendFieldsToEventProps" }?.type == "text-map")
        #expect(d.options.first { $0.name == "appendFieldsToEventProps" }?.defaultValue == .object([:]))
        #expect(d.options.first { $0.name == "eventUploadPeriodMillis" }?.defaultValue == 30000)
        #expect(d.options.first { $0.name == "enableLocationListening" }?.defaultValue == true)
        #expect(d.options.first { $0.name == "traitsToAppend" }?.defaultValue == .array([]))
        #expect(d.components.map(\.type) == ["BROWSER", "IOS", "ANDROID", "SERVER"])
        #expect(d.components.allSatisfy { $0.owner == "SEGMENT" && $0.code.hasPrefix("https://github.com/") })
        #expect(d.supportedMethods == .init(track: true, pageview: true, identify: true, group: true, alias: false))
        #expect(d.supportedPlatforms == .init(browser: true, mobile: true, server: true, warehouse: false, cloudAppObject: false))
        #expect(
            d.supportedFeatures
                == .init(
                    cloudModeInstances: "0", deviceModeInstances: "0", replay: false, browserUnbundling: true,
                    browserUnbundlingPublic: true))
        #expect(d.actions.isEmpty && d.presets.isEmpty && d.contacts.isEmpty)
        #expect(d.partnerOwned == false)
        #expect(d.supportedRegions == ["eu-west-1", "us-west-2"])
        #expect(d.regionEndpoints == ["US", "EU"])
    }

    @Test func amplitudeWireJSONHasTheSeedsShape() throws {
        // Given Amplitude's stored JSON
        let json = try #require(catalog.destinationJSON(id: Self.amplitude))
        let text = String(decoding: json, as: UTF8.self)

        // Then its keys come in DestinationMetadataV1's order, and the newer fields are there
        let keys = [
            "id", "name", "description", "slug", "logos", "options", "status", "categories", "website", "components", "previousNames",
            "supportedMethods", "supportedPlatforms", "supportedFeatures", "actions", "presets", "contacts", "partnerOwned",
            "supportedRegions", "regionEndpoints",
        ]
        let positions = keys.map { text.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(text.hasPrefix(#"{"id":"54521fd525e721e32a72ee91","name":"Amplitude","description":"","slug":"amplitude","logos":{"default":"#))
        #expect(text.contains(#"{"name":"apiKey","type":"string","defaultValue":"","description":"","required":true,"label":"API Key"}"#))
        #expect(text.contains(#""supportedMethods":{"track":true,"pageview":true,"identify":true,"group":true,"alias":false}"#))
        #expect(
            text.contains(
                #""supportedFeatures":{"cloudModeInstances":"0","deviceModeInstances":"0","replay":false,"browserUnbundling":true,"#
                    + #""browserUnbundlingPublic":true}"#
            ))
        #expect(text.hasSuffix(#""contacts":[],"partnerOwned":false,"supportedRegions":["eu-west-1","us-west-2"],"regionEndpoints":["US","EU"]}"#))
    }

    @Test func amazonKinesis() throws {
        let d = try #require(catalog.destination(id: Self.kinesis))
        #expect(d.name == "Amazon Kinesis")
        #expect(d.slug == "amazon-kinesis")
        #expect(d.categories == ["Analytics", "Raw Data"])
        #expect(
            d.options == [
                IntegrationOption(
                    name: "region", type: "string", defaultValue: "us-west-2", description: "", required: true,
                    label: "AWS Kinesis Stream Region"),
                IntegrationOption(name: "roleAddress", type: "string", defaultValue: "", description: "", required: false, label: "Role Address"),
                IntegrationOption(
                    name: "secretId", type: "string", defaultValue: "#SEGMENT_WORKSPACE_ID", description: "", required: true,
                    label: "Secret ID (Read-Only)"),
                IntegrationOption(
                    name: "stream", type: "string", defaultValue: "", description: "", required: true, label: "AWS Kinesis Stream Name"),
                IntegrationOption(
                    name: "useMessageId", type: "boolean", defaultValue: false, description: "", required: false,
                    label: "Use Segment Message ID"),
            ])
        #expect(d.options.first { $0.name == "secretId" }?.isReadOnly == true)
        #expect(d.actions.isEmpty)
    }

    @Test func googleAnalytics4Cloud() throws {
        let d = try #require(catalog.destination(id: Self.ga4))
        #expect(d.name == "Google Analytics 4 Cloud")
        #expect(d.slug == "actions-google-analytics-4")
        #expect(d.previousNames == ["Actions Google Analytic 4", "Actions Google Analytics 4", "Google Analytics 4", "Google Analytics 4 Cloud"])
        #expect(d.supportedPlatforms == .init(browser: true, mobile: false, server: true, warehouse: true, cloudAppObject: false))
        #expect(d.components.isEmpty)
        #expect(d.supportedRegions == ["us-west-2", "eu-west-1"])
        #expect(d.regionEndpoints == ["US"])
        #expect(d.options.map(\.name) == ["apiSecret", "firebaseAppId", "measurementId"])
        #expect(d.options.map(\.required) == [true, false, false])
        #expect(d.options.map(\.label) == ["API Secret", "Firebase App ID", "Measurement ID"])
        #expect(d.actions.count == 19)
        #expect(d.actions.map(\.slug).prefix(3) == ["addToCart", "purchase", "pageView"])
        let addToCart = try #require(d.actions.first)
        #expect(addToCart.id == "6CHmQRmGR9QiQAAVPzukE9")
        #expect(addToCart.name == "Add to Cart")
        #expect(addToCart.platform == "CLOUD")
        #expect(addToCart.defaultTrigger == #"type = "track" and event = "Product Added""#)
        #expect(addToCart.fields.count == 13)
        let streamType = try #require(addToCart.fields.first)
        #expect(streamType.fieldKey == "data_stream_type")
        #expect(streamType.defaultValue == "Web")
        #expect(streamType.choices == [["label": "Web", "value": "Web"], ["label": "Mobile App", "value": "Mobile App"]])
        let clientID = try #require(addToCart.fields.first { $0.fieldKey == "client_id" })
        #expect(
            clientID.defaultValue == [
                "@if": ["exists": ["@path": "$.userId"], "then": ["@path": "$.userId"], "else": ["@path": "$.anonymousId"]]
            ])
        #expect(addToCart.fields.first { $0.fieldKey == "app_instance_id" }?.defaultValue == nil)
        #expect(d.presets.isEmpty)
    }

    @Test func webhooksActions() throws {
        let d = try #require(catalog.destination(id: Self.webhooks))
        #expect(d.name == "Webhooks (Actions)")
        #expect(d.slug == "actions-webhook")
        #expect(
            d.options == [
                IntegrationOption(name: "sharedSecret", type: "password", defaultValue: "", description: "", required: false, label: "Shared Secret")
            ])
        let send = try #require(d.actions.first { $0.id == "nFPnRozhz1mh4Gbx4MLvT5" })
        #expect(send.slug == "send")
        #expect(send.name == "Send")
        #expect(send.platform == "CLOUD")
        #expect(send.defaultTrigger == nil)
        #expect(send.hidden == false)
        #expect(send.fields.map(\.fieldKey) == ["url", "method", "batch_size", "headers", "data", "enable_batching"])
        let byKey = Dictionary(uniqueKeysWithValues: send.fields.map { ($0.fieldKey, $0) })
        #expect(
            byKey["url"]
                == ActionField(
                    id: "chABtpe8R3Fuff394fGrRE", sortOrder: 0, fieldKey: "url", label: "URL", type: "STRING", description: "", placeholder: "",
                    defaultValue: nil, required: true, multiple: false, choices: nil, dynamic: false, allowNull: false, hidden: false))
        #expect(
            byKey["method"]
                == ActionField(
                    id: "qWdhkvZC25kbeusBhUsQqD", sortOrder: 1, fieldKey: "method", label: "Method", type: "STRING", description: "", placeholder: "",
                    defaultValue: "POST", required: true, multiple: false,
                    choices: [["label": "POST", "value": "POST"], ["label": "PUT", "value": "PUT"], ["label": "PATCH", "value": "PATCH"]],
                    dynamic: false, allowNull: false, hidden: false))
        #expect(byKey["batch_size"]?.type == "NUMBER")
        #expect(byKey["batch_size"]?.defaultValue == 0)
        #expect(byKey["headers"]?.type == "OBJECT")
        #expect(byKey["headers"]?.defaultValue == nil)
        #expect(byKey["data"]?.defaultValue == ["@path": "$."])
        #expect(
            byKey["enable_batching"]
                == ActionField(
                    id: "hguDY3MfapSaUior43bzE3", sortOrder: 6, fieldKey: "enable_batching", label: "Enable Batching?", type: "BOOLEAN",
                    description: "", placeholder: nil, defaultValue: false, required: false, multiple: false, choices: nil, dynamic: false,
                    allowNull: false, hidden: false))

        // And the wire JSON writes choices, and leaves out what the file did not have
        let text = String(decoding: try #require(catalog.destinationJSON(id: Self.webhooks)), as: UTF8.self)
        #expect(text.contains(#""defaultTrigger":null"#))
        #expect(
            text.contains(
                #"{"id":"qWdhkvZC25kbeusBhUsQqD","sortOrder":1,"fieldKey":"method","label":"Method","type":"STRING","description":"","#
                    + #""placeholder":"","defaultValue":"POST","required":true,"multiple":false,"#
                    + #""choices":[{"label":"POST","value":"POST"},{"label":"PUT","value":"PUT"},{"label":"PATCH","value":"PATCH"}],"#
                    + #""dynamic":false,"allowNull":false,"hidden":false}"#
            ))
        #expect(
            text.contains(
                #"{"id":"hguDY3MfapSaUior43bzE3","sortOrder":6,"fieldKey":"enable_batching","label":"Enable Batching?","type":"BOOLEAN","#
                    + #""description":"","defaultValue":false,"required":false,"multiple":false,"choices":null,"dynamic":false,"#
                    + #""allowNull":false,"hidden":false}"#
            ))
    }

    @Test func sources() throws {
        // Given the shipped sources
        let javascript = try #require(catalog.sources.first { $0.slug == "javascript" })
        let net = try #require(catalog.source(id: "8HWbgPTt3k"))

        // Then they carry the file's names, logos, categories and cloud flag
        #expect(net.name == ".NET")
        #expect(net.slug == "net")
        #expect(net.categories == ["Server"])
        #expect(net.isCloudEventSource == false)
        #expect(net.logos.default == "https://cdn-devcenter.segment.com/7905b876-1899-44ef-9757-8f84ec619561.svg")
        #expect(net.options.isEmpty)
        #expect(javascript.name == "Javascript")
        #expect(catalog.sources.contains { $0.isCloudEventSource })
        let json = String(decoding: try #require(catalog.sourceJSON(id: "8HWbgPTt3k")), as: UTF8.self)
        #expect(
            json == #"{"id":"8HWbgPTt3k","name":".NET","slug":"net","description":"","#
                + #""logos":{"default":"https://cdn-devcenter.segment.com/7905b876-1899-44ef-9757-8f84ec619561.svg"},"#
                + #""options":[],"categories":["Server"],"isCloudEventSource":false,"status":"PUBLIC","partnerOwned":false}"#)
        #expect(catalog.sources.filter { $0.status == "PUBLIC_BETA" }.count == 33)
    }
}
