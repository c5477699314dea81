DROP TABLE member_specialties;
DROP TABLE members;
DROP TABLE sectors;
DROP TABLE subdistricts;
DROP TABLE districts;
