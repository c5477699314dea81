DROP TABLE report_instructions;
DROP TABLE report_adoptions;
DROP TABLE report_forwards;
DROP TABLE report_revisions;
DROP TABLE report_authors;
DROP TABLE reports;
