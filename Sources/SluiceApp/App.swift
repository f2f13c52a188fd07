import Hummingbird
import Yams
import SluiceCore
import SluiceSQLite
public enum AppPlaceholder {}
