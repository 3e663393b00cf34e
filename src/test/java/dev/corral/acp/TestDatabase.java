package dev.corral.acp;

import java.nio.file.Path;
import org.flywaydb.core.Flyway;
import org.sqlite.SQLiteDataSource;

/** A migrated SQLite database file for tests, opened the way the daemon opens its own. */
final class TestDatabase {

    private TestDatabase() {}

    static SQLiteDataSource create(Path file) {
        var ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + file);
        ds.setJournalMode("WAL");
        ds.setBusyTimeout(10_000);
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        return ds;
    }
}
