//! Synthetic Chinese reports: titles and 200–1,500-character bodies made of words drawn from a
//! vocabulary of the platform's subject matter (community affairs, consultation, services),
//! Zipf-distributed like real text, plus a long tail of rare two-character words and the
//! function characters and punctuation that sit between words. Deterministic: document `n` is
//! the same on every run and on both backends.

/// The vocabulary, most frequent first (rank 1 is drawn about twice as often as rank 2).
pub const WORDS: &[&str] = &[
    // very common
    "社区",
    "居民",
    "工作",
    "问题",
    "群众",
    "建议",
    "政协",
    "委员",
    "服务",
    "开展",
    "进行",
    "反映",
    "情况",
    "相关",
    "部门",
    "解决",
    "加强",
    "推进",
    "发展",
    "街道",
    "协商",
    "意见",
    "治理",
    "管理",
    "提升",
    "落实",
    "活动",
    "基层",
    "组织",
    "单位",
    "需要",
    "通过",
    "存在",
    "目前",
    "提出",
    "实施",
    "完善",
    "机制",
    "建设",
    "工作室",
    "民生",
    "调研",
    "走访",
    "座谈",
    "参与",
    "推动",
    "实现",
    "形成",
    "建立",
    "积极",
    "有效",
    "进一步",
    "重点",
    "措施",
    "方面",
    "环境",
    "安全",
    "社会",
    "经济",
    "政府",
    "领导",
    "干部",
    "党员",
    "党委",
    "政策",
    // common
    "小区",
    "停车",
    "道路",
    "交通",
    "物业",
    "业主",
    "老旧",
    "改造",
    "电梯",
    "加装",
    "养老",
    "老人",
    "医疗",
    "卫生",
    "教育",
    "学校",
    "学生",
    "家长",
    "儿童",
    "就业",
    "企业",
    "创业",
    "台胞",
    "台商",
    "台青",
    "两岸",
    "交流",
    "融合",
    "文化",
    "旅游",
    "生态",
    "绿化",
    "垃圾",
    "分类",
    "污水",
    "排水",
    "供水",
    "燃气",
    "供电",
    "噪音",
    "油烟",
    "违建",
    "拆迁",
    "安置",
    "住房",
    "租房",
    "保障",
    "救助",
    "低保",
    "困难",
    "帮扶",
    "慰问",
    "志愿",
    "义诊",
    "宣讲",
    "法律",
    "咨询",
    "调解",
    "纠纷",
    "矛盾",
    "信访",
    "热线",
    "信箱",
    "微信",
    "平台",
    "网格",
    "数据",
    "信息",
    "系统",
    "智慧",
    "数字",
    "设施",
    "配套",
    "公共",
    "资源",
    "资金",
    "经费",
    "项目",
    "规划",
    "方案",
    "标准",
    "制度",
    "规范",
    "考核",
    "评议",
    "监督",
    "检查",
    "整改",
    "跟踪",
    "反馈",
    "办理",
    "答复",
    "采纳",
    "批示",
    "报送",
    "提案",
    "议题",
    "点题",
    "出题",
    "选题",
    "会议",
    "讨论",
    "沟通",
    "协调",
    "联系",
    "对接",
    "合作",
    "共建",
    "共治",
    "共享",
    "厦门",
    "思明",
    "湖里",
    "集美",
    "海沧",
    "同安",
    "翔安",
    "鹭江",
    "嘉莲",
    "莲前",
    "殿前",
    "市场",
    "菜市",
    "商户",
    "摊贩",
    "门店",
    "商业",
    "消费",
    "价格",
    "收费",
    "标准化",
    "质量",
    "食品",
    "药品",
    "健康",
    "疫苗",
    "医院",
    "诊所",
    "医生",
    "护士",
    "药店",
    "体检",
    "康复",
    "公园",
    "广场",
    "健身",
    "体育",
    "场地",
    "器材",
    "图书",
    "阅读",
    "书屋",
    "文艺",
    "演出",
    "公交",
    "地铁",
    "站点",
    "线路",
    "班次",
    "出行",
    "步行",
    "骑行",
    "单车",
    "电动车",
    "充电",
    "车位",
    "停车场",
    "路面",
    "人行道",
    "路灯",
    "红绿灯",
    "斑马线",
    "拥堵",
    "事故",
    "隐患",
    "消防",
    "通道",
    "应急",
    "防汛",
    "台风",
    "暴雨",
    "积水",
    "防疫",
    "巡查",
    "值守",
    "排查",
    "老年人",
    "残疾人",
    "退役",
    "军人",
    "妇女",
    "青年",
    "少年",
    "外来",
    "务工",
    "人员",
    "楼道",
    "楼栋",
    "单元",
    "门禁",
    "监控",
    "围墙",
    "屋顶",
    "漏水",
    "外墙",
    "管道",
    "维修",
    "基金",
    "业委会",
    "物业费",
    "公约",
    "自治",
    "议事",
    "恳谈",
    "听证",
    "公示",
    "幼儿园",
    "托育",
    "课后",
    "托管",
    "食堂",
    "助餐",
    "配餐",
    "送餐",
    "日间",
    "照料",
    "心理",
    "关爱",
    "陪伴",
    "孤寡",
    "空巢",
    "独居",
    "探访",
    "结对",
    "认领",
    "微心愿",
    "企业家",
    "营商",
    "融资",
    "贷款",
    "税收",
    "补贴",
    "审批",
    "备案",
    "许可",
    "证照",
    "渔民",
    "农民",
    "村民",
    "乡村",
    "振兴",
    "农业",
    "产业",
    "种植",
    "养殖",
    "土地",
    "海洋",
    "海岸",
    "沙滩",
    "岛屿",
    "渔港",
    "码头",
    "航线",
    "港口",
    "物流",
    "仓储",
    "科技",
    "创新",
    "人才",
    "研发",
    "专利",
    "孵化",
    "园区",
    "基地",
    "实训",
    "培训",
    "统计",
    "年度",
    "计划",
    "指标",
    "目标",
    "任务",
    "进度",
    "通报",
    "总结",
    "成效",
    "明显",
    "显著",
    "持续",
    "逐步",
    "及时",
    "认真",
    "全面",
    "深入",
    "广泛",
    "充分",
    "主动",
    "依法",
    "规范化",
    "精细化",
    "常态化",
    "长效",
    "闭环",
    "清单",
    "台账",
    "档案",
    "现场",
    "实地",
    "考察",
    "批准",
    "授牌",
    "场所",
    "队伍",
    "标识",
    "履职",
    "考评",
    "轮值",
    "接待",
    "来访",
    "报到",
    "联络组",
    "召集人",
    "组长",
    "界别",
    "党派",
    "台籍",
    "协商议事",
    "民主监督",
    "参政议政",
    "凝聚共识",
    "网格化",
    "一站式",
    "最后一公里",
];

/// Characters that sit between words.
const GLUE: &[&str] = &[
    "的", "了", "和", "在", "是", "对", "把", "为", "与", "及", "等", "也", "都", "将", "要", "有",
    "并", "由", "从", "向",
];

const PUNCT: &[&str] = &["，", "，", "，", "、", "；"];

const TITLE_HEADS: &[&str] = &["关于", "建议", "反映", "呼吁", "请求"];
const TITLE_TAILS: &[&str] = &["的建议", "问题", "的意见", "亟待解决", "的情况反映", ""];

/// The long tail: two-character words of everyday characters, themselves Zipf-ranked,
/// so that words of every frequency exist, from most documents down to a handful.
pub const TAIL_WORDS: u64 = 400_000;
/// Share of word slots (per 1,000) filled from the tail.
const TAIL_PER_MILLE: u64 = 250;

const EULER: f64 = 0.577_215_664_9;

/// A small deterministic generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Draws words: Zipf (s = 1) over the vocabulary, or from the rare tail.
pub struct Words {
    cumulative: Vec<f64>,
    chars: Vec<char>,
}

impl Words {
    pub fn new() -> Words {
        let mut total = 0.0;
        let cumulative = (1..=WORDS.len())
            .map(|rank| {
                total += 1.0 / rank as f64;
                total
            })
            .collect::<Vec<_>>();
        let cumulative = cumulative.iter().map(|c| c / total).collect();
        // The tail's alphabet: the vocabulary's characters and 2,500 more from the unified
        // ideographs block, about the 3,000 characters everyday text uses.
        let mut chars: Vec<char> = WORDS.iter().flat_map(|w| w.chars()).collect();
        let mut rng = Rng::new(7);
        chars.extend((0..2500).filter_map(|_| char::from_u32(0x4E00 + rng.below(0x51A6) as u32)));
        chars.sort_unstable();
        chars.dedup();
        Words { cumulative, chars }
    }

    /// The tail word of rank `k`: two vocabulary characters chosen by a hash of `k`.
    pub fn tail(&self, k: u64) -> String {
        let mut r = Rng::new(k.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let n = self.chars.len() as u64;
        let a = self.chars[r.below(n) as usize];
        let b = self.chars[r.below(n) as usize];
        [a, b].iter().collect()
    }

    fn draw(&self, rng: &mut Rng, out: &mut String) {
        if rng.below(1000) < TAIL_PER_MILLE {
            // Zipf (s = 1) over the tail's ranks: H(r) ≈ ln r + γ, inverted.
            let h = (TAIL_WORDS as f64).ln() + EULER;
            let r = (rng.unit() * h - EULER).exp().clamp(1.0, TAIL_WORDS as f64);
            out.push_str(&self.tail(r as u64));
            return;
        }
        let u = rng.unit();
        let i = self.cumulative.partition_point(|&c| c < u);
        out.push_str(WORDS[i.min(WORDS.len() - 1)]);
    }
}

/// Document `n`: (title, body).
pub fn document(words: &Words, n: u64) -> (String, String) {
    let mut rng = Rng::new(n);
    let mut title = String::new();
    title.push_str(TITLE_HEADS[rng.below(TITLE_HEADS.len() as u64) as usize]);
    for _ in 0..2 + rng.below(3) {
        words.draw(&mut rng, &mut title);
    }
    title.push_str(TITLE_TAILS[rng.below(TITLE_TAILS.len() as u64) as usize]);

    let target = 200 + rng.below(1301) as usize;
    let mut body = String::with_capacity(target * 3 + 64);
    let mut chars = 0;
    while chars < target {
        let clauses = 1 + rng.below(3);
        for c in 0..clauses {
            for w in 0..3 + rng.below(6) {
                if w > 0 && rng.below(3) == 0 {
                    body.push_str(GLUE[rng.below(GLUE.len() as u64) as usize]);
                }
                words.draw(&mut rng, &mut body);
            }
            if c + 1 < clauses {
                body.push_str(PUNCT[rng.below(PUNCT.len() as u64) as usize]);
            }
        }
        body.push('。');
        chars = body.chars().count();
    }
    (title, body)
}
