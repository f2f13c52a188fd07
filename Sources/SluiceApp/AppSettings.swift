import Logging
import SluiceCore
import SluiceDelivery

/// Everything `sluice serve` can be told, read once by the CLI from flags and `SLUICE_*` variables.
///
/// Nothing below ``buildApplication(settings:logger:)`` reads the environment.
/// Public names (DESIGN.md): `--host`/`SLUICE_HOST` (default `127.0.0.1`), `--port`/`SLUICE_PORT`
/// (8080), `--database`/`SLUICE_DATABASE` (`sqlite:sluice.sqlite`; `memory`; `sqlite:PATH`),
/// `--token`/`SLUICE_TOKEN` (secret; made sure to exist), `--rate-limit`/`SLUICE_RATE_LIMIT` (on),
/// `--rate-limit-general`/`SLUICE_RATE_LIMIT_GENERAL` (60000 a minute),
/// `--subscriptions`/`SLUICE_SUBSCRIPTIONS` (on), `--secret-key-file`/`SLUICE_SECRET_KEY_FILE` or
/// `SLUICE_SECRET_KEY` (secret; default a file `PATH.key` beside a SQLite store).
public struct AppSettings: Sendable {
    /// Where the store lives.
    public enum Database: Sendable, Equatable, CustomStringConvertible {
        case sqlite(path: String)
        case memory
        case postgres(url: String)

        /// Reads `memory`, `sqlite:PATH` or `postgres://...`.
        ///
        /// - Throws: ``ValidationError`` with the accepted forms.
        public init(parsing text: String) throws(ValidationError) {
            if text == "memory" || text == "sqlite::memory:" {
                self = .memory
            } else if text.hasPrefix("sqlite:") {
                let path = String(text.dropFirst("sqlite:".count))
                guard !path.isEmpty else { throw ValidationError("--database sqlite:PATH needs a path") }
                self = .sqlite(path: path)
            } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
                self = .postgres(url: text)
            } else {
                throw ValidationError("--database must be memory, sqlite:PATH or postgres://user:password@host:port/db")
            }
        }

        /// A description without credentials, for logs.
        public var description: String {
            switch self {
            case .sqlite(let path): "sqlite:\(path)"
            case .memory: "memory"
            case .postgres: "postgres (credentials hidden)"
            }
        }
    }

    public var host: String
    public var port: Int
    public var database: Database
    /// A token to make sure exists (secret: never logged).
    public var token: String?
    public var rateLimit: Bool
    /// Requests a minute per token outside the subscription-write bucket (`--rate-limit-general`, default
    /// 60,000; Segment does not publish its number).
    public var generalRateLimit: Int = 60_000
    public var subscriptions: Bool
    /// Fsync every commit (SQLite `synchronous=FULL`).
    public var fullSync: Bool
    public var logLevel: Logger.Level
    /// How long failed deliveries are retried before they expire (`--retry-window`, default 4 hours).
    public var retryWindow: Duration
    /// How long failed events (discarded, or expired after the retry window) are kept for replay
    /// (`--failed-event-retention`, default 7 days).
    public var failedEventRetention: Duration = .seconds(7 * 86_400)
    /// The event log of delivery attempts (`--event-log`, `--event-log-retention`, `--event-log-max-entries`,
    /// `--event-log-bodies`).
    public var eventLog = EventLogSettings()
    /// Whether `/console/` serves the web console (`--console`, default on).
    public var console = true
    /// Serve the console's files from this folder, read on every request, instead of the copies compiled in
    /// (`SLUICE_CONSOLE_DIR`, for working on the console without rebuilding; docs/console.md).
    public var consoleDirectory: String?
    /// Whether this process routes and delivers events (tests of the HTTP surface alone may turn it off).
    public var delivery: Bool
    /// How long a connection may go without completing a request part before the server closes it
    /// (default 30 s). A client that sends its headers a byte at a time (slowloris) is cut off after
    /// this long, as is an idle keep-alive connection; `nil` keeps connections open for ever.
    public var idleTimeout: Duration? = .seconds(30)
    /// How long a worker holds the jobs it claims (`--delivery-lease`, default 5 minutes); on a shared
    /// PostgreSQL database, the jobs of a process that died go to the others when it ends.
    public var deliveryLease: Duration
    /// How long every attempt to a destination must fail before it is marked failing (`--failing-after`, default 30
    /// minutes), and how long a failing destination waits between probes (`--probe-interval`, default 1 minute).
    public var breaker = BreakerSettings()
    /// How many events may wait to be routed before the Tracking API answers 503 with `Retry-After`
    /// (`--max-routing-backlog`, default 1,000,000); `nil` for no bound.
    public var maxRoutingBacklog: Int? = 1_000_000
    /// Where the key of secrets at rest comes from (`--secret-key-file`/`SLUICE_SECRET_KEY_FILE`,
    /// `SLUICE_SECRET_KEY`; secret). ``SecretKeySource/automatic`` by default: a file beside a SQLite store.
    public var secretKey: SecretKeySource = .automatic
    /// Where requests for vendors' hosts go instead (`--endpoint-override HOST=URL`, `SLUICE_ENDPOINT_OVERRIDES`);
    /// none by default: integrations contact the vendors' real hosts.
    public var endpointOverrides = EndpointOverrides()

    public init(
        host: String = "127.0.0.1", port: Int = 8080, database: Database = .sqlite(path: "sluice.sqlite"), token: String? = nil,
        rateLimit: Bool = true, subscriptions: Bool = true, fullSync: Bool = true, logLevel: Logger.Level = .info,
        retryWindow: Duration = .seconds(4 * 3600), delivery: Bool = true, deliveryLease: Duration = .seconds(300)
    ) {
        self.deliveryLease = deliveryLease
        self.retryWindow = retryWindow
        self.delivery = delivery
        self.host = host
        self.port = port
        self.database = database
        self.token = token
        self.rateLimit = rateLimit
        self.subscriptions = subscriptions
        self.fullSync = fullSync
        self.logLevel = logLevel
    }
}
