import GRDB
import SluiceCore
public enum SQLitePlaceholder {}
