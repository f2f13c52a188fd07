public enum CatalogData {}
