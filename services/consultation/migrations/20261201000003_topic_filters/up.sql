-- A district's topics filtered by origin and category, in id (list) order.
CREATE INDEX topics_district_origin_category ON topics (district_code, origin, category, id);
