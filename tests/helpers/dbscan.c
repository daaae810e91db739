/*
 * tests/helpers/dbscan.c: the floor for reading an alias db: a bare libdb
 * cursor walk (DB_NEXT, one record at a time) that touches every key and
 * value and prints only the count. The benchmark sets mailops' listing
 * beside it.
 *
 *   dbscan FILE.db
 */
#include <db.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	DB *db;
	DBC *cur;
	DBT k, v;
	unsigned long n = 0, bytes = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: dbscan FILE.db\n");
		return 64;
	}
	if (db_create(&db, NULL, 0) != 0 || db->open(db, NULL, argv[1], NULL, DB_UNKNOWN, DB_RDONLY, 0) != 0 ||
	    db->cursor(db, NULL, &cur, 0) != 0) {
		fprintf(stderr, "dbscan: cannot open %s\n", argv[1]);
		return 66;
	}
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while (cur->get(cur, &k, &v, DB_NEXT) == 0) {
		n++;
		bytes += k.size + v.size;
	}
	cur->close(cur);
	db->close(db, 0);
	printf("%lu records, %lu bytes\n", n, bytes);
	return 0;
}
