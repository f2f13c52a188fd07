import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SluiceApp
import SluiceCore
import SluiceDelivery

/// `sluice serve`: runs the Public API (and the Tracking API) until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the Sluice server.")

    @Option(help: "Address to listen on (env SLUICE_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (env SLUICE_PORT, default 8080).") var port: Int?
    @OptionGroup var database: DatabaseOption
    @OptionGroup var secretKey: SecretKeyOption
    @Option(help: "A Public API token to make sure exists (env SLUICE_TOKEN).") var token: String?
    @Option(name: .customLong("rate-limit"), help: "Rate limiting: on or off (env SLUICE_RATE_LIMIT, default on).")
    var rateLimit: String?
    @Option(
        name: .customLong("rate-limit-general"),
        help: "Requests a minute per token outside the subscription-write limit of 5 (env SLUICE_RATE_LIMIT_GENERAL, default 60000).")
    var rateLimitGeneral: Int?
    @Option(help: "The Destination Subscriptions feature: on or off (env SLUICE_SUBSCRIPTIONS, default on).")
    var subscriptions: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (env SLUICE_LOG_LEVEL, default info).")
    var logLevel: String?
    @Option(help: "How long failed deliveries are retried before they expire: e.g. 4h, 30m, 90s (env SLUICE_RETRY_WINDOW, default 4h).")
    var retryWindow: String?
    @Option(
        help: "How long failed events are kept for replay: e.g. 7d, 12h (env SLUICE_FAILED_EVENT_RETENTION, default 7d).")
    var failedEventRetention: String?
    @Option(help: "The web console at /console/: on or off (env SLUICE_CONSOLE, default on).")
    var console: String?
    @Option(help: "The event log of delivery attempts: on or off (env SLUICE_EVENT_LOG, default on).")
    var eventLog: String?
    @Option(help: "How long the event log keeps an attempt: e.g. 24h, 7d (env SLUICE_EVENT_LOG_RETENTION, default 24h).")
    var eventLogRetention: String?
    @Option(help: "The most attempts the event log keeps per destination, oldest dropped first (env SLUICE_EVENT_LOG_MAX_ENTRIES, default 10000).")
    var eventLogMaxEntries: String?
    @Option(
        help:
            "Whether the event log keeps request bodies and responses: on, or off to keep personal data out of it (env SLUICE_EVENT_LOG_BODIES, default on)."
    )
    var eventLogBodies: String?
    @Option(
        help: "How long a worker holds the jobs it claims before another process may take them: e.g. 5m, 30s (env SLUICE_DELIVERY_LEASE, default 5m)."
    )
    var deliveryLease: String?
    @Option(
        help: """
            How long every attempt to a destination must fail before it is marked failing and its deliveries wait for a probe: \
            e.g. 30m, 1h (env SLUICE_FAILING_AFTER, default 30m).
            """)
    var failingAfter: String?
    @Option(help: "How long a failing destination waits between probes: e.g. 1m, 30s (env SLUICE_PROBE_INTERVAL, default 1m).")
    var probeInterval: String?
    @Option(
        help: """
            How many events may wait to be routed before the Tracking API answers 503 with Retry-After; off for no bound \
            (env SLUICE_MAX_ROUTING_BACKLOG, default 1000000).
            """)
    var maxRoutingBacklog: String?
    @Option(
        help: """
            How long a client connection may sit idle (a request arriving a byte at a time included) before it is closed: \
            e.g. 30s; 0 for never (env SLUICE_IDLE_TIMEOUT, default 30s).
            """)
    var idleTimeout: String?
    @Option(
        name: .customLong("endpoint-override"),
        help: ArgumentHelp(
            """
            Send every request for a vendor's HOST to URL instead (scheme, host and port replaced, path and query kept); \
            repeatable (env SLUICE_ENDPOINT_OVERRIDES, HOST=URL,HOST=URL).
            """,
            valueName: "HOST=URL"))
    var endpointOverrides: [String] = []

    /// Reads `7d`, `4h`, `30m`, `90s` or `250ms`.
    static func duration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        for (suffix, seconds) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value > 0, value.isFinite else { return nil }
            return .milliseconds(Int64(value * seconds * 1000))
        }
        return nil
    }

    func eventLogSettings() throws -> EventLogSettings {
        var log = EventLogSettings()
        log.enabled = try Environment.flag(eventLog ?? Environment.value("SLUICE_EVENT_LOG") ?? "on", name: "event-log")
        log.keepBodies = try Environment.flag(eventLogBodies ?? Environment.value("SLUICE_EVENT_LOG_BODIES") ?? "on", name: "event-log-bodies")
        let retentionText = eventLogRetention ?? Environment.value("SLUICE_EVENT_LOG_RETENTION") ?? "24h"
        guard let retention = Self.duration(retentionText), retention >= .seconds(1) else {
            throw ArgumentParser.ValidationError("event-log-retention must be a duration of at least 1s, such as 24h, 7d or 30m")
        }
        log.retention = retention
        let maxText = eventLogMaxEntries ?? Environment.value("SLUICE_EVENT_LOG_MAX_ENTRIES") ?? "10000"
        guard let max = Int(maxText), max >= 1 else {
            throw ArgumentParser.ValidationError("event-log-max-entries must be a whole number of attempts, at least 1")
        }
        log.maxEntriesPerDestination = max
        return log
    }

    func settings() throws -> AppSettings {
        let portText = port.map(String.init) ?? Environment.value("SLUICE_PORT") ?? "8080"
        guard let port = Int(portText), (0...65535).contains(port) else { throw ArgumentParser.ValidationError("port must be 0 to 65535") }
        let levelText = logLevel ?? Environment.value("SLUICE_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else { throw ArgumentParser.ValidationError("unknown log level \(levelText)") }
        let databaseSetting = try database.parsed()
        let windowText = retryWindow ?? Environment.value("SLUICE_RETRY_WINDOW") ?? "4h"
        guard let window = Self.duration(windowText) else {
            throw ArgumentParser.ValidationError("retry-window must be a duration such as 4h, 30m, 90s or 500ms")
        }
        let leaseText = deliveryLease ?? Environment.value("SLUICE_DELIVERY_LEASE") ?? "5m"
        guard let lease = Self.duration(leaseText), lease >= .seconds(1) else {
            throw ArgumentParser.ValidationError("delivery-lease must be a duration of at least 1s, such as 5m or 30s")
        }
        let idleText = idleTimeout ?? Environment.value("SLUICE_IDLE_TIMEOUT") ?? "30s"
        let idle: Duration?
        if idleText == "0" {
            idle = nil
        } else if let value = Self.duration(idleText) {
            idle = value
        } else {
            throw ArgumentParser.ValidationError("idle-timeout must be a duration such as 30s or 2m, or 0 for never")
        }
        var settings = AppSettings(
            host: host ?? Environment.value("SLUICE_HOST") ?? "127.0.0.1",
            port: port,
            database: databaseSetting,
            token: token ?? Environment.value("SLUICE_TOKEN"),
            rateLimit: try Environment.flag(rateLimit ?? Environment.value("SLUICE_RATE_LIMIT") ?? "on", name: "rate-limit"),
            subscriptions: try Environment.flag(
                subscriptions ?? Environment.value("SLUICE_SUBSCRIPTIONS") ?? "on", name: "subscriptions"),
            logLevel: level,
            retryWindow: window,
            deliveryLease: lease)
        settings.idleTimeout = idle
        let failingText = failingAfter ?? Environment.value("SLUICE_FAILING_AFTER") ?? "30m"
        guard let failing = Self.duration(failingText) else {
            throw ArgumentParser.ValidationError("failing-after must be a duration such as 30m, 1h or 90s")
        }
        settings.breaker.failingAfter = failing
        let probeText = probeInterval ?? Environment.value("SLUICE_PROBE_INTERVAL") ?? "1m"
        guard let probe = Self.duration(probeText), probe >= .milliseconds(100) else {
            throw ArgumentParser.ValidationError("probe-interval must be a duration of at least 100ms, such as 1m or 30s")
        }
        settings.breaker.probeInterval = probe
        // Unset, the bound is AppSettings' default.
        if let backlogText = maxRoutingBacklog ?? Environment.value("SLUICE_MAX_ROUTING_BACKLOG") {
            if backlogText == "off" {
                settings.maxRoutingBacklog = nil
            } else if let bound = Int(backlogText), bound >= 1 {
                settings.maxRoutingBacklog = bound
            } else {
                throw ArgumentParser.ValidationError("max-routing-backlog must be a whole number of events, at least 1, or off")
            }
        }
        let retentionText = failedEventRetention ?? Environment.value("SLUICE_FAILED_EVENT_RETENTION") ?? "7d"
        guard let retention = Self.duration(retentionText), retention >= .seconds(1) else {
            throw ArgumentParser.ValidationError("failed-event-retention must be a duration of at least 1s, such as 7d, 12h or 30m")
        }
        settings.failedEventRetention = retention
        settings.eventLog = try eventLogSettings()
        settings.console = try Environment.flag(console ?? Environment.value("SLUICE_CONSOLE") ?? "on", name: "console")
        settings.consoleDirectory = Environment.value("SLUICE_CONSOLE_DIR").flatMap { $0.isEmpty ? nil : $0 }
        settings.secretKey = secretKey.resolved
        let generalText = rateLimitGeneral.map(String.init) ?? Environment.value("SLUICE_RATE_LIMIT_GENERAL") ?? "60000"
        guard let general = Int(generalText), general >= 1 else {
            throw ArgumentParser.ValidationError("rate-limit-general must be a whole number of requests a minute, at least 1")
        }
        settings.generalRateLimit = general
        do {
            settings.endpointOverrides =
                endpointOverrides.isEmpty
                ? try EndpointOverrides(environmentValue: Environment.value("SLUICE_ENDPOINT_OVERRIDES") ?? "")
                : try EndpointOverrides(parsing: endpointOverrides)
        } catch {
            throw ArgumentParser.ValidationError(error.description)
        }
        return settings
    }

    func run() async throws {
        let settings = try settings()
        var logger = Logger(label: "sluice", factory: ServerLogHandler.init(label:))
        logger.logLevel = settings.logLevel
        do {
            try await runServer(
                settings: settings, logger: logger,
                prepare: { store in
                    if let keys = (store as? SealedStore)?.cipher as? SecretKeyring {
                        Console.line("Secrets at rest are encrypted under key \(keys.keyID), \(keys.origin)")
                    }
                    try await Self.ensureToken(settings: settings, store: store)
                },
                onServerRunning: { port in
                    Console.line("Sluice listening on http://\(settings.host):\(port) (store: \(settings.database))")
                })
        } catch let error as StoreSecrets.Failure {
            Console.error("sluice serve: \(error)")
            throw ExitCode(1)
        } catch let error as SecretError {
            Console.error("sluice serve: \(error); nothing was changed")
            throw ExitCode(1)
        }
    }

    /// Makes sure `--token` exists; on a store with no token at all, creates one and prints it once.
    static func ensureToken(settings: AppSettings, store: any Store) async throws {
        let tokens = TokenAuthenticator(store: store)
        if let token = settings.token {
            try await tokens.ensure(token, actor: "sluice/cli")
        } else if try await store.tokenCount() == 0 {
            let text = TokenAuthenticator.newTokenText()
            try await tokens.ensure(text, actor: "sluice/cli")
            Console.line("Created a Public API token (shown once, keep it): \(text)")
        }
    }
}
